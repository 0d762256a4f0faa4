//! Reading and rewriting the binary wasm format, as much as `build` (renaming imports and
//! exports) and `bench` (attributing code bytes to functions) need: LEB128 numbers, names, and
//! whole sections.

/// The import section's id.
pub const IMPORT_SECTION: u8 = 2;
/// The export section's id.
pub const EXPORT_SECTION: u8 = 7;

/// The unsigned LEB128 number at `pos`, which moves past it.
pub fn leb(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos).ok_or("truncated LEB128")?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 63 {
            return Err("LEB128 too long".into());
        }
    }
}

/// Appends `value` as unsigned LEB128.
pub fn push_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The name (length-prefixed UTF-8) at `pos`, which moves past it.
pub fn read_name<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<&'a str, String> {
    let len = leb(bytes, pos)? as usize;
    let name = bytes.get(*pos..*pos + len).ok_or("truncated name")?;
    *pos += len;
    std::str::from_utf8(name).map_err(|_| "a name is not UTF-8".to_string())
}

/// Appends `name`, length-prefixed.
pub fn push_name(out: &mut Vec<u8>, name: &str) {
    push_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

/// The module with the body of every section `id` replaced by what `rewrite` makes of it;
/// every other section is copied as it is.
pub fn rewrite_section(
    bytes: &[u8],
    id: u8,
    mut rewrite: impl FnMut(&[u8]) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    let header = bytes.get(..8).filter(|h| *h == b"\0asm\x01\0\0\0").ok_or("not a wasm module")?;
    let mut out = header.to_vec();
    let mut pos = 8;
    while pos < bytes.len() {
        let section = *bytes.get(pos).ok_or("truncated module")?;
        pos += 1;
        let size = leb(bytes, &mut pos)? as usize;
        let body = bytes.get(pos..pos + size).ok_or("truncated section")?;
        pos += size;
        out.push(section);
        if section == id {
            let body = rewrite(body)?;
            push_leb(&mut out, body.len() as u64);
            out.extend_from_slice(&body);
        } else {
            push_leb(&mut out, size as u64);
            out.extend_from_slice(body);
        }
    }
    Ok(out)
}

/// The module with each import's module and name replaced by what `rename(module, name)`
/// returns; an error if any import is not a function. Only the import section changes.
pub fn rewrite_imports(
    bytes: &[u8],
    mut rename: impl FnMut(&str, &str) -> (String, String),
) -> Result<Vec<u8>, String> {
    rewrite_section(bytes, IMPORT_SECTION, |body| {
        let mut section = Vec::new();
        let mut p = 0;
        let count = leb(body, &mut p)?;
        push_leb(&mut section, count);
        for _ in 0..count {
            let module = read_name(body, &mut p)?;
            let name = read_name(body, &mut p)?;
            let start = p;
            match body.get(p) {
                Some(0) => p += 1,
                _ => return Err(format!("import {name} is not a function")),
            }
            leb(body, &mut p)?; // the type index
            let (module, name) = rename(module, name);
            push_name(&mut section, &module);
            push_name(&mut section, &name);
            section.extend_from_slice(body.get(start..p).ok_or("truncated import")?);
        }
        if p != body.len() {
            return Err("unexpected bytes after the imports".into());
        }
        Ok(section)
    })
}
