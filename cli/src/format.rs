//! Messages in and out of a command: standard input as lines or frames, standard output as
//! text, hex or JSON lines.

use std::io::{self, BufRead, Write};

use ringmq::Msg;

/// How standard input holds messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Each line is a one-frame message.
    Lines,
    /// Each line is a frame; an empty line ends a message.
    Frames,
}

impl Input {
    /// From `--input`.
    pub fn parse(name: &str) -> Self {
        match name {
            "frames" => Input::Frames,
            _ => Input::Lines,
        }
    }

    /// The next message, `None` at the end of input.
    pub fn read(self, input: &mut impl BufRead) -> io::Result<Option<Vec<Vec<u8>>>> {
        let mut frames = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                // The end: a last message of frames without its empty line still counts.
                return Ok((!frames.is_empty()).then_some(frames));
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            match self {
                Input::Lines => return Ok(Some(vec![line.clone()])),
                Input::Frames if line.is_empty() && frames.is_empty() => {}
                Input::Frames if line.is_empty() => return Ok(Some(frames)),
                Input::Frames => frames.push(line.clone()),
            }
        }
    }
}

/// How messages are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Frames as text (invalid UTF-8 replaced), tab-separated.
    Text,
    /// Frames in lower-case hex, space-separated.
    Hex,
    /// A JSON array of frames: a string for UTF-8 text, `{"hex": "..."}` otherwise.
    Json,
}

impl Output {
    /// From `--output`.
    pub fn parse(name: &str) -> Self {
        match name {
            "hex" => Output::Hex,
            "json" => Output::Json,
            _ => Output::Text,
        }
    }

    /// Prints one message as one line.
    pub fn write(self, out: &mut impl Write, frames: &[Msg]) -> io::Result<()> {
        let line = match self {
            Output::Text => frames
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect::<Vec<_>>()
                .join("\t"),
            Output::Hex => frames.iter().map(|f| hex(f)).collect::<Vec<_>>().join(" "),
            Output::Json => {
                let array: Vec<serde_json::Value> = frames
                    .iter()
                    .map(|f| match std::str::from_utf8(f) {
                        Ok(text) => serde_json::Value::from(text),
                        Err(_) => serde_json::json!({ "hex": hex(f) }),
                    })
                    .collect();
                serde_json::Value::from(array).to_string()
            }
        };
        writeln!(out, "{line}")?;
        out.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: Input, text: &str) -> Vec<Vec<Vec<u8>>> {
        let mut reader = text.as_bytes();
        let mut out = Vec::new();
        while let Some(m) = input.read(&mut reader).unwrap() {
            out.push(m);
        }
        out
    }

    #[test]
    fn lines_are_messages_and_frames_end_at_empty_lines() {
        assert_eq!(
            read_all(Input::Lines, "a\nb\n\nc"),
            [
                vec![b"a".to_vec()],
                vec![b"b".to_vec()],
                vec![vec![]],
                vec![b"c".to_vec()]
            ]
        );
        assert_eq!(
            read_all(Input::Frames, "\na\nb\n\nc\n"),
            [vec![b"a".to_vec(), b"b".to_vec()], vec![b"c".to_vec()]]
        );
    }

    #[test]
    fn outputs_are_one_line_per_message() {
        let frames = [Msg::from("id"), Msg::from(vec![0xffu8, 0x00]), Msg::from("x\"y")];
        let mut out = Vec::new();
        for format in [Output::Text, Output::Hex, Output::Json] {
            format.write(&mut out, &frames).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id\t\u{fffd}\u{0}\tx\"y");
        assert_eq!(lines[1], "6964 ff00 782279");
        assert_eq!(lines[2], r#"["id",{"hex":"ff00"},"x\"y"]"#);
    }
}
