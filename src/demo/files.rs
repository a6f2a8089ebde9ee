//! Small files for the demo's evidence, made here rather than shipped: a
//! screenshot of a chat (a real PNG), a bank statement (a real one-page PDF),
//! a statement taken down as text and a forwarded phishing mail. Each opens
//! in an ordinary viewer and is typed by its content, as an upload is.

/// A generated file: the name it is uploaded under and its bytes.
pub(super) struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream of stored (uncompressed) blocks: valid, and no deflate
/// encoder needed for a few hundred kilobytes of demo pictures.
fn zlib_stored(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(raw).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// An 8-bit palette PNG of `pixels` (one palette index per pixel, rows of `w`).
fn png(w: u32, h: u32, palette: &[[u8; 3]], pixels: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"PLTE", &palette.concat());
    let mut raw = Vec::with_capacity(pixels.len() + h as usize);
    for row in pixels.chunks(w as usize) {
        raw.push(0); // no filter
        raw.extend_from_slice(row);
    }
    png_chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A phone screenshot of a chat: app bar, bubbles left and right with lines
/// of "text", one of them in red (the account number or the amount). The
/// layout follows `variant`, so no two reports carry the same picture.
pub(super) fn chat_screenshot(name: &str, variant: u32) -> File {
    const W: u32 = 270;
    const H: u32 = 480;
    let palette = [
        [0xE9, 0xED, 0xF2], // background
        [0x00, 0x68, 0xFF], // app bar
        [0xFF, 0xFF, 0xFF], // their bubble, bar text
        [0xD5, 0xF1, 0xFF], // my bubble
        [0x3A, 0x3F, 0x45], // text
        [0x9A, 0xA3, 0xAD], // time stamps
        [0xE5, 0x39, 0x35], // the number that matters
    ];
    let mut px = vec![0u8; (W * H) as usize];
    let mut rect = |x0: u32, y0: u32, x1: u32, y1: u32, c: u8| {
        for y in y0.min(H)..y1.min(H) {
            for x in x0.min(W)..x1.min(W) {
                px[(y * W + x) as usize] = c;
            }
        }
    };
    rect(0, 0, W, 44, 1);
    rect(48, 16, 150, 28, 2);
    rect(12, 14, 32, 30, 2);
    // A small linear congruential sequence: widths and lines of the bubbles.
    let mut seed = variant.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    let mut next = |m: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) % m
    };
    let mut y = 58;
    let mut k = 0;
    while y + 40 < H - 50 {
        let lines = 1 + next(3);
        let width = 110 + next(110);
        let height = 14 + lines * 14;
        let mine = k % 2 == 1;
        let (x0, colour) = if mine { (W - 12 - width, 3) } else { (12, 2) };
        rect(x0, y, x0 + width, y + height, colour);
        for l in 0..lines {
            let ly = y + 9 + l * 14;
            let len = if l + 1 == lines {
                30 + next(width - 50)
            } else {
                width - 20
            };
            let ink = if k == 3 && l == 0 { 6 } else { 4 };
            rect(x0 + 10, ly, x0 + 10 + len, ly + 6, ink);
        }
        rect(
            x0 + width - 34,
            y + height - 8,
            x0 + width - 8,
            y + height - 4,
            5,
        );
        y += height + 12;
        k += 1;
    }
    // The message box at the bottom.
    rect(0, H - 44, W, H, 2);
    rect(12, H - 32, W - 56, H - 12, 0);
    rect(W - 44, H - 34, W - 12, H - 10, 1);
    File {
        name: name.to_owned(),
        bytes: png(W, H, &palette, &px),
    }
}

/// PDF text: only printable ASCII, with the string delimiters escaped (the
/// standard fonts carry no Vietnamese letters, so the text is written without).
fn pdf_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// A one-page PDF (Helvetica) with a title and lines of text.
fn pdf(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = format!("BT /F1 15 Tf 56 780 Td ({}) Tj ET\n", pdf_text(title));
    content.push_str("BT /F1 10 Tf 56 750 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!("({}) Tj T*\n", pdf_text(line)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A bank's statement of the transfers to `account`: what a bank sends back
/// when the unit asks, and what a victim prints from their banking app.
pub(super) fn bank_statement(
    name: &str,
    bank: &str,
    account: &str,
    rows: &[(String, i64)],
) -> File {
    let mut lines = vec![
        format!("Ngan hang: {bank}    So tai khoan: {account}"),
        "Noi dung: sao ke giao dich theo de nghi cua co quan dieu tra".to_owned(),
        String::new(),
        "Thoi gian              So tien (VND)      Dien giai".to_owned(),
    ];
    let mut total = 0i64;
    for (when, amount) in rows {
        total = total.saturating_add(*amount);
        lines.push(format!(
            "{when:<22} {:>16}      CK chuyen tien",
            crate::domain::value::fmt_thousands(*amount)
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Tong cong: {} VND",
        crate::domain::value::fmt_thousands(total)
    ));
    lines.push(String::new());
    lines.push("Tai lieu tao tu dong cho ban trinh dien cyberdesk (du lieu gia lap).".to_owned());
    File {
        name: name.to_owned(),
        bytes: pdf("SAO KE GIAO DICH TAI KHOAN", &lines),
    }
}

/// A statement taken from the victim, as the officer typed it up.
pub(super) fn statement(name: &str, reference: &str, victim: &str, account: &str) -> File {
    let text = format!(
        "BIÊN BẢN GHI LỜI KHAI\n\
         Vụ việc: {reference}\n\
         Người khai: {victim}\n\n\
         Tôi xác nhận đã chuyển tiền vào tài khoản {account} theo yêu cầu của \
         đối tượng liên hệ qua mạng xã hội. Đối tượng cung cấp tên tài khoản khác \
         với tên người nhận tiền. Tôi cung cấp kèm ảnh chụp tin nhắn và sao kê \
         ngân hàng.\n\n\
         Biên bản được lập lúc 09:30, đọc lại cho người khai nghe và cùng ký tên.\n\
         (Dữ liệu giả lập cho bản trình diễn cyberdesk.)\n"
    );
    File {
        name: name.to_owned(),
        bytes: text.into_bytes(),
    }
}

/// A phishing mail forwarded by the victim, headers and all.
pub(super) fn phishing_mail(name: &str, to: &str) -> File {
    let text = format!(
        "From: \"Ngan hang TMCP\" <canhbao@nganhang-xacthuc.example>\r\n\
         To: {to}\r\n\
         Subject: =?UTF-8?B?VMOgaSBraG/huqNuIGPhu6dhIHF1w70ga2jDoWNoIHPhuq9wIGLhu4sga2jDs2E=?=\r\n\
         Date: Mon, 7 Dec 2026 08:12:44 +0700\r\n\
         Message-ID: <demo-phishing-1@nganhang-xacthuc.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Quy khach vui long cap nhat thong tin tai khoan trong 24 gio tai\r\n\
         https://nganhang-xacthuc.example/cap-nhat de tranh bi khoa.\r\n\
         (Thu gia mao - du lieu gia lap cho ban trinh dien cyberdesk.)\r\n"
    );
    File {
        name: name.to_owned(),
        bytes: text.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_files_are_typed_as_what_they_are() {
        let sniff = |f: &File| {
            crate::storage::sniff(&f.bytes[..f.bytes.len().min(8192)], f.bytes.len() <= 8192)
        };
        assert_eq!(sniff(&chat_screenshot("a.png", 3)), Some("image/png"));
        let rows = vec![("01/12/2026 10:00".to_owned(), 15_000_000)];
        assert_eq!(
            sniff(&bank_statement("s.pdf", "TCB", "1903", &rows)),
            Some("application/pdf")
        );
        assert_eq!(
            sniff(&statement("b.txt", "PA05", "A", "TCB:1")),
            Some("text/plain")
        );
        assert_eq!(
            sniff(&phishing_mail("m.eml", "a@example.com")),
            Some("message/rfc822")
        );
    }

    #[test]
    fn png_checksums_are_the_standard_ones() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }
}
