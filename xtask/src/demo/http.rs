//! The server demo's HTTP client: one `GET` over HTTP/1.1 on a fresh connection
//! (`Connection: close`, so the response ends where the stream does), and reading one field of
//! the flat JSON objects the example app answers with.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// A response: its status code and its body.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) body: String,
}

/// `GET path` from the server on `127.0.0.1:port`; an error when it cannot be reached (not
/// listening yet, say) or answers with something that is not HTTP/1.x.
pub(super) fn get(port: u16, path: &str, timeout: Duration) -> Result<Response, String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending GET {path}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("reading the answer to GET {path}: {e}"))?;
    let raw = String::from_utf8_lossy(&raw);
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return Err(format!("GET {path}: no complete HTTP response ({raw:?})"));
    };
    let status = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1."))
        .and_then(|rest| rest.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET {path}: not an HTTP/1.x status line in {head:?}"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(format!(
            "GET {path}: a chunked response, which this client does not read"
        ));
    }
    Ok(Response {
        status,
        body: body.to_owned(),
    })
}

/// The value of `key` in a flat JSON object as FastAPI writes it (`{"a":1,"b":"x"}`): the
/// number, or the string without its quotes. Enough for the example's answers, which hold no
/// nested objects and no commas inside strings.
pub(super) fn field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let start = body.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &body[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn field_reads_numbers_and_strings() {
        let body = r#"{"x":3.0,"model":"linear 0x7f","requests":2}"#;
        assert_eq!(field(body, "x"), Some("3.0"));
        assert_eq!(field(body, "model"), Some("linear 0x7f"));
        assert_eq!(field(body, "requests"), Some("2"));
        assert_eq!(field(body, "pid"), None);
    }
}
