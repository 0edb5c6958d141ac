//! The subscription matcher: the prefix trie a PUB socket keeps of its subscribers and a SUB
//! socket of its own subscriptions. Matching cost per published topic (it should follow the
//! topic's length, not the number of subscriptions), and subscribe/unsubscribe churn.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ringmq_sockets::bench_internals::{PipeSet, PrefixTrie};

/// `n` distinct topics shaped like real ones (`market.XNAS.<symbol>.trades`).
fn topics(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("market.XNAS.SYM{i:05}.trades").into_bytes())
        .collect()
}

/// A publisher's trie: `subscriptions` prefixes spread over 100 subscriber pipes, each
/// prefix the first 16 octets of a topic (`market.XNAS.SYM0`…), so several match a topic.
fn publisher(subscriptions: usize) -> PrefixTrie<PipeSet> {
    let mut trie = PrefixTrie::<PipeSet>::default();
    for (i, topic) in topics(subscriptions).iter().enumerate() {
        trie.update(&topic[..16.min(topic.len())], |pipes| pipes.insert(i % 100));
        trie.update(topic, |pipes| pipes.insert((i * 7) % 100));
    }
    trie
}

fn publish_match(c: &mut Criterion) {
    let mut group = c.benchmark_group("matcher/publisher");
    group.throughput(Throughput::Elements(1));
    for subscriptions in [10usize, 1_000, 100_000] {
        let trie = publisher(subscriptions);
        let probes = topics(subscriptions);
        group.bench_with_input(
            BenchmarkId::new("pipes_for_topic", subscriptions),
            &probes,
            |b, probes| {
                let mut i = 0;
                b.iter(|| {
                    let topic = &probes[i % probes.len()];
                    i += 1;
                    let mut pipes = 0usize;
                    trie.for_each_prefix_of(black_box(topic), |set| pipes += set.len());
                    black_box(pipes)
                });
            },
        );
    }
    let trie = publisher(1_000);
    group.bench_function("no_match_1000", |b| {
        b.iter(|| trie.matches(black_box(b"weather.EU.paris.temperature")));
    });
    group.finish();
}

fn subscriber_filter(c: &mut Criterion) {
    let mut group = c.benchmark_group("matcher/subscriber");
    group.throughput(Throughput::Elements(1));
    for subscriptions in [1usize, 1_000] {
        let mut trie = PrefixTrie::<u32>::default();
        let all = topics(subscriptions);
        for topic in &all {
            trie.update(topic, |count| *count += 1);
        }
        group.bench_with_input(BenchmarkId::new("matches", subscriptions), &all, |b, all| {
            let mut i = 0;
            b.iter(|| {
                let hit = trie.matches(black_box(&all[i % all.len()]));
                i += 1;
                hit
            });
        });
    }
    group.finish();
}

fn churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("matcher/churn");
    group.throughput(Throughput::Elements(2));
    let mut trie = publisher(10_000);
    let extra = topics(20_000).split_off(10_000);
    group.bench_function("subscribe_then_cancel_in_10000", |b| {
        let mut i = 0;
        b.iter(|| {
            let topic = &extra[i % extra.len()];
            i += 1;
            trie.update(topic, |pipes| pipes.insert(5));
            trie.update_existing(topic, |pipes| pipes.remove(5))
        });
    });
    group.finish();
}

criterion_group!(benches, publish_match, subscriber_filter, churn);
criterion_main!(benches);
