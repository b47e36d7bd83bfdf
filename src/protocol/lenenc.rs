//! Length-encoded integers and strings, NUL-terminated strings: the field encodings shared by
//! every packet type. nom parsers over borrowed bytes, and writers into a `Vec<u8>`.

use nom::bytes::complete::{tag, take, take_until};
use nom::number::complete::{le_u16, le_u24, le_u64, le_u8};
use nom::IResult;

/// A length-encoded integer. `0xfb` (NULL in rows) and `0xff` (ERR) are not integers.
pub fn lenenc_int(input: &[u8]) -> IResult<&[u8], u64> {
    let (rest, first) = le_u8(input)?;
    match first {
        0..=0xfa => Ok((rest, u64::from(first))),
        0xfc => le_u16(rest).map(|(r, v)| (r, u64::from(v))),
        0xfd => le_u24(rest).map(|(r, v)| (r, u64::from(v))),
        0xfe => le_u64(rest),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// A length-encoded string.
pub fn lenenc_bytes(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, len) = lenenc_int(input)?;
    let len = usize::try_from(len).map_err(|_| {
        nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::TooLarge,
        ))
    })?;
    take(len)(rest)
}

/// A NUL-terminated string (the NUL is consumed, not returned).
pub fn nul_bytes(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, s) = take_until(&b"\0"[..])(input)?;
    let (rest, _) = tag(&b"\0"[..])(rest)?;
    Ok((rest, s))
}

/// A NUL-terminated string, or the rest of the input if it has no NUL (some clients omit the last
/// terminator).
pub fn nul_or_eof_bytes(input: &[u8]) -> IResult<&[u8], &[u8]> {
    match memchr::memchr(0, input) {
        Some(i) => Ok((&input[i + 1..], &input[..i])),
        None => Ok((&input[input.len()..], input)),
    }
}

pub fn put_lenenc_int(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=0xfa => out.push(v as u8),
        0xfb..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(v as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(v as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

pub fn put_lenenc_bytes(out: &mut Vec<u8>, s: &[u8]) {
    put_lenenc_int(out, s.len() as u64);
    out.extend_from_slice(s);
}

pub fn put_nul_bytes(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s);
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_round_trips() {
        for v in [
            0u64,
            250,
            251,
            0xffff,
            0x10000,
            0xff_ffff,
            0x100_0000,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put_lenenc_int(&mut buf, v);
            let (rest, got) = lenenc_int(&buf).expect("parses");
            assert!(rest.is_empty());
            assert_eq!(got, v);
        }
    }

    #[test]
    fn lenenc_rejects_null_and_err_markers() {
        assert!(lenenc_int(&[0xfb]).is_err());
        assert!(lenenc_int(&[0xff]).is_err());
        assert!(lenenc_int(&[0xfc, 1]).is_err());
    }

    #[test]
    fn strings() {
        let mut buf = Vec::new();
        put_lenenc_bytes(&mut buf, b"abc");
        put_nul_bytes(&mut buf, b"def");
        let (rest, a) = lenenc_bytes(&buf).expect("lenenc");
        let (rest, d) = nul_bytes(rest).expect("nul");
        assert_eq!((a, d, rest.len()), (&b"abc"[..], &b"def"[..], 0));
        assert_eq!(nul_or_eof_bytes(b"xyz").expect("eof").1, b"xyz");
    }
}
