//! `ringmq keygen`: a new CURVE key pair in Z85, and zcert files with `--cert`.

use std::path::Path;

use clap::ArgMatches;
use ringmq::auth::zcert::Certificate;

use crate::error::CliResult;

pub fn run(m: &ArgMatches) -> CliResult {
    let certificate = Certificate::generate();
    let secret = certificate
        .secret
        .as_ref()
        .expect("a generated certificate holds its secret key");
    println!("{}", certificate.public.to_z85());
    println!("{}", secret.to_z85().as_str());
    if let Some(base) = m.get_one::<String>("cert") {
        let (public, secret) = certificate.save(Path::new(base))?;
        eprintln!("wrote {}", public.display());
        if let Some(secret) = secret {
            eprintln!("wrote {}", secret.display());
        }
    }
    Ok(())
}
