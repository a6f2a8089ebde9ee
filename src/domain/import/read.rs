//! Reading a register as a header and rows of cells. Spreadsheets (.xlsx
//! streamed cell by cell, so 100,000 rows stay small; .xls and .ods whole)
//! through `calamine`; CSV decoded from UTF-8 (with or without BOM), UTF-16
//! (with BOM) or Windows-1258, its delimiter (`,` `;` tab) read off the first
//! line. Vietnamese written decomposed (Windows-1258 always is, macOS often)
//! is composed (NFC), so names compare and display as typed elsewhere.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Sheets};
use unicode_normalization::UnicodeNormalization;

use super::cells::Cell;

/// How the file was read, for the report.
#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    Csv {
        encoding: &'static str,
        delimiter: char,
    },
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn describe(&self) -> String {
        match self {
            Format::Csv {
                encoding,
                delimiter,
            } => {
                let d = match delimiter {
                    '\t' => "tab".to_owned(),
                    c => format!("“{c}”"),
                };
                format!("CSV, {encoding}, {d}")
            }
            Format::Xlsx => "Excel (.xlsx)".into(),
            Format::Xls => "Excel 97–2003 (.xls)".into(),
            Format::Ods => "OpenDocument (.ods)".into(),
        }
    }
}

/// Why a file could not be read at all (a bad row is the service's business).
#[derive(Clone, Debug, PartialEq)]
pub enum ReadError {
    /// Neither a spreadsheet nor text.
    NotARegister,
    /// No row with two or more filled cells, or no header at the row named.
    NoHeader,
    /// A spreadsheet that its reader could not open (the reader's words).
    Broken(String),
}

/// What the reader hands on, in order: about how many rows the file has
/// (header included; for progress only), the header once, then each data row
/// with its row number as the file shows it (1-based).
pub enum Event {
    Rows(usize),
    Header(Vec<String>),
    Row(usize, Vec<Cell>),
}

/// A merged range of cells (0-based rows and columns, inclusive).
#[derive(Clone, Copy, Debug)]
struct Merge {
    row0: usize,
    col0: usize,
    row1: usize,
    col1: usize,
}

/// Reads the file, calling `sink` with the header and then each row until it
/// returns false. `header_row` (1-based) overrides where the header is; by
/// default it is the first row with two or more filled cells, so a title
/// above it (one merged cell) is skipped.
pub fn read(
    bytes: &[u8],
    header_row: Option<usize>,
    sink: &mut dyn FnMut(Event) -> bool,
) -> Result<Format, ReadError> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if !zip && !ole {
        return read_csv(bytes, header_row, sink);
    }
    let sheets = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Broken(e.to_string()))?;
    match sheets {
        Sheets::Xlsx(mut x) => {
            let name = x
                .sheet_names()
                .first()
                .cloned()
                .ok_or(ReadError::NoHeader)?;
            let merges = match x.worksheet_merge_cells(&name) {
                Some(Ok(m)) => m.iter().map(merge_of).collect(),
                _ => Vec::new(),
            };
            let mut headers = Headers::new(header_row, merges);
            let mut reader = x
                .worksheet_cells_reader(&name)
                .map_err(|e| ReadError::Broken(e.to_string()))?;
            sink(Event::Rows(reader.dimensions().end.0 as usize + 1));
            let mut row: Vec<Cell> = Vec::new();
            let mut row_at = 0usize;
            let mut going = true;
            while going {
                let Some(cell) = reader
                    .next_cell()
                    .map_err(|e| ReadError::Broken(e.to_string()))?
                else {
                    break;
                };
                let (r, c) = cell.get_position();
                let (r, c) = (r as usize, c as usize);
                if r != row_at {
                    if !row.is_empty() {
                        going = headers.feed(row_at + 1, std::mem::take(&mut row), sink);
                    }
                    row_at = r;
                }
                if c >= 16_384 {
                    continue;
                }
                if row.len() <= c {
                    row.resize(c + 1, Cell::Empty);
                }
                row[c] = from_ref(cell.get_value());
            }
            if going && !row.is_empty() {
                headers.feed(row_at + 1, row, sink);
            }
            headers.finish(sink)?;
            Ok(Format::Xlsx)
        }
        Sheets::Xls(mut x) => {
            let merges = x
                .worksheet_merge_cells_at(0)
                .unwrap_or_default()
                .iter()
                .map(merge_of)
                .collect();
            let range = x
                .worksheet_range_at(0)
                .ok_or(ReadError::NoHeader)?
                .map_err(|e| ReadError::Broken(e.to_string()))?;
            whole_sheet(&range, Headers::new(header_row, merges), sink)?;
            Ok(Format::Xls)
        }
        Sheets::Ods(mut x) => {
            let range = x
                .worksheet_range_at(0)
                .ok_or(ReadError::NoHeader)?
                .map_err(|e| ReadError::Broken(e.to_string()))?;
            whole_sheet(&range, Headers::new(header_row, Vec::new()), sink)?;
            Ok(Format::Ods)
        }
        Sheets::Xlsb(_) => Err(ReadError::NotARegister),
    }
}

fn merge_of(d: &calamine::Dimensions) -> Merge {
    Merge {
        row0: d.start.0 as usize,
        col0: d.start.1 as usize,
        row1: d.end.0 as usize,
        col1: d.end.1 as usize,
    }
}

fn whole_sheet(
    range: &calamine::Range<Data>,
    mut headers: Headers,
    sink: &mut dyn FnMut(Event) -> bool,
) -> Result<(), ReadError> {
    sink(Event::Rows(range.height()));
    let (row0, col0) = range.start().unwrap_or((0, 0));
    for (i, r) in range.rows().enumerate() {
        let mut cells = vec![Cell::Empty; col0 as usize];
        cells.extend(r.iter().map(from_data));
        if !headers.feed(row0 as usize + i + 1, cells, sink) {
            break;
        }
    }
    headers.finish(sink)
}

fn text(s: &str) -> Cell {
    let s: String = s.nfc().collect();
    if s.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

fn iso(s: &str) -> Cell {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map(Cell::Date)
        .unwrap_or_else(|_| text(s))
}

fn from_ref(v: &DataRef<'_>) -> Cell {
    match v {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Cell::Text(b.to_string()),
        DataRef::DateTime(d) => d
            .as_datetime()
            .map(Cell::Date)
            .unwrap_or(Cell::Number(d.as_f64())),
        DataRef::DateTimeIso(s) => iso(s),
        DataRef::DurationIso(s) => text(s),
        DataRef::Error(_) | DataRef::Empty => Cell::Empty,
    }
}

fn from_data(v: &Data) -> Cell {
    match v {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => text(s),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(d) => d
            .as_datetime()
            .map(Cell::Date)
            .unwrap_or(Cell::Number(d.as_f64())),
        Data::DateTimeIso(s) => iso(s),
        Data::DurationIso(s) => text(s),
        Data::Error(_) | Data::Empty => Cell::Empty,
    }
}

/// Text in whichever encoding the file is in, composed.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let (text, name) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (String::from_utf8_lossy(rest).into_owned(), "UTF-8 (BOM)")
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        let (t, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        (t.into_owned(), "UTF-16LE")
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        let (t, _, _) = encoding_rs::UTF_16BE.decode(bytes);
        (t.into_owned(), "UTF-16BE")
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_owned(), "UTF-8")
    } else {
        let (t, _, _) = encoding_rs::WINDOWS_1258.decode(bytes);
        (t.into_owned(), "Windows-1258")
    };
    (text.nfc().collect(), name)
}

/// The delimiter of the first non-empty line: the most frequent of `,` `;`
/// and tab outside quotes (a comma when none).
pub fn delimiter(text: &str) -> char {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        ','
    } else {
        [',', ';', '\t'][best]
    }
}

fn read_csv(
    bytes: &[u8],
    header_row: Option<usize>,
    sink: &mut dyn FnMut(Event) -> bool,
) -> Result<Format, ReadError> {
    // A binary file that is no spreadsheet (an image, a PDF) is not a register.
    if bytes.iter().take(4096).any(|&b| b == 0)
        && !bytes.starts_with(&[0xFF, 0xFE])
        && !bytes.starts_with(&[0xFE, 0xFF])
    {
        return Err(ReadError::NotARegister);
    }
    let (text, encoding) = decode(bytes);
    sink(Event::Rows(
        text.bytes().filter(|&b| b == b'\n').count() + 1,
    ));
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim as u8)
        .from_reader(text.as_bytes());
    let mut headers = Headers::new(header_row, Vec::new());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ReadError::Broken(e.to_string())),
        }
        // Row numbers as an editor shows them: a record after blank lines
        // is placed by csv at the first of them.
        let line = record.position().map_or(0, |p| {
            let blank = text.as_bytes()[(p.byte() as usize).min(text.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .filter(|&&b| b == b'\n')
                .count();
            p.line() as usize + blank
        });
        let cells = record.iter().map(text_cell).collect();
        if !headers.feed(line, cells, sink) {
            break;
        }
    }
    headers.finish(sink)?;
    Ok(Format::Csv {
        encoding,
        delimiter: delim,
    })
}

fn text_cell(s: &str) -> Cell {
    if s.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_owned())
    }
}

/// Finds the header among the first rows, then passes rows on. A header with
/// merged group cells ("Người báo tin" over "Họ tên | Điện thoại") is two
/// rows: each column under a group is named "group / sub".
struct Headers {
    header_row: Option<usize>,
    merges: Vec<Merge>,
    found: bool,
    pending: Option<(usize, Vec<Cell>)>,
}

impl Headers {
    fn new(header_row: Option<usize>, merges: Vec<Merge>) -> Headers {
        Headers {
            header_row,
            merges,
            found: false,
            pending: None,
        }
    }

    /// Group cells: merged across columns on the header row, one row high.
    fn groups(&self, row: usize) -> Vec<Merge> {
        self.merges
            .iter()
            .filter(|m| m.row0 + 1 == row && m.row1 == m.row0 && m.col1 > m.col0)
            .copied()
            .collect()
    }

    fn feed(&mut self, row: usize, cells: Vec<Cell>, sink: &mut dyn FnMut(Event) -> bool) -> bool {
        if self.found {
            if cells.iter().all(Cell::is_empty) {
                return true;
            }
            return sink(Event::Row(row, cells));
        }
        if let Some((top_row, top)) = self.pending.take() {
            let groups = self.groups(top_row);
            let under_group = |c: usize| groups.iter().any(|m| (m.col0..=m.col1).contains(&c));
            let sub_in_group = cells
                .iter()
                .enumerate()
                .any(|(c, v)| !v.is_empty() && under_group(c));
            self.found = true;
            if sub_in_group {
                let width = top.len().max(cells.len());
                let names = (0..width)
                    .map(|c| {
                        let sub = cells.get(c).map(Cell::text).unwrap_or_default();
                        let group = groups
                            .iter()
                            .find(|m| (m.col0..=m.col1).contains(&c))
                            .and_then(|m| top.get(m.col0))
                            .map(Cell::text);
                        match group {
                            Some(g) if !sub.is_empty() => format!("{g} / {sub}"),
                            Some(g) => g,
                            None => {
                                let t = top.get(c).map(Cell::text).unwrap_or_default();
                                if t.is_empty() {
                                    sub
                                } else {
                                    t
                                }
                            }
                        }
                    })
                    .collect();
                return sink(Event::Header(names));
            }
            if !sink(Event::Header(top.iter().map(Cell::text).collect())) {
                return false;
            }
            return self.feed(row, cells, sink);
        }
        let filled = cells.iter().filter(|c| !c.is_empty()).count();
        let is_header = match self.header_row {
            Some(h) => row == h,
            None => filled >= 2,
        };
        if !is_header {
            return true;
        }
        if self.groups(row).is_empty() {
            self.found = true;
            return sink(Event::Header(cells.iter().map(Cell::text).collect()));
        }
        self.pending = Some((row, cells));
        true
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Event) -> bool) -> Result<(), ReadError> {
        if let Some((_, top)) = self.pending.take() {
            self.found = true;
            sink(Event::Header(top.iter().map(Cell::text).collect()));
        }
        if self.found {
            Ok(())
        } else {
            Err(ReadError::NoHeader)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(usize, Vec<String>)>;

    fn all(bytes: &[u8]) -> (Format, Vec<String>, Rows) {
        let mut header = Vec::new();
        let mut rows = Vec::new();
        let f = read(bytes, None, &mut |e| {
            match e {
                Event::Rows(_) => {}
                Event::Header(h) => header = h,
                Event::Row(n, cells) => rows.push((n, cells.iter().map(Cell::text).collect())),
            }
            true
        })
        .expect("read");
        (f, header, rows)
    }

    #[test]
    fn csv_in_each_encoding_and_delimiter() {
        let (f, h, rows) = all("Số hồ sơ cũ;Họ tên\n\n1;Nguyễn Văn A\n".as_bytes());
        assert_eq!(
            f,
            Format::Csv {
                encoding: "UTF-8",
                delimiter: ';'
            }
        );
        assert_eq!(h, vec!["Số hồ sơ cũ", "Họ tên"]);
        assert_eq!(
            rows,
            vec![(3, vec!["1".to_owned(), "Nguyễn Văn A".to_owned()])]
        );

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(b"a\tb\n1\t2\n");
        let (f, h, _) = all(&bom);
        assert!(matches!(
            f,
            Format::Csv {
                delimiter: '\t',
                ..
            }
        ));
        assert_eq!(h, vec!["a", "b"]);

        let mut utf16 = vec![0xFF, 0xFE];
        for u in "x,y\nĐà Nẵng,2\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let (f, _, rows) = all(&utf16);
        assert!(matches!(
            f,
            Format::Csv {
                encoding: "UTF-16LE",
                ..
            }
        ));
        assert_eq!(rows[0].1[0], "Đà Nẵng");

        // Windows-1258 writes "Nguyễn" as "Nguyê" + combining tilde (0xDE).
        let cp = b"ten,so\nNguy\xEA\xDEn,1\n";
        let (f, _, rows) = all(cp);
        assert!(matches!(
            f,
            Format::Csv {
                encoding: "Windows-1258",
                ..
            }
        ));
        assert_eq!(rows[0].1[0], "Nguyễn");
    }

    #[test]
    fn a_title_row_is_skipped_and_binary_refused() {
        let (_, h, rows) = all(b"SO THEO DOI\n\nid,name\n1,a\n");
        assert_eq!(h, vec!["id", "name"]);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            read(b"\x89PNG\r\n\x1a\n\0\0\0", None, &mut |_| true),
            Err(ReadError::NotARegister)
        );
        assert_eq!(
            read(b"only\n", None, &mut |_| true),
            Err(ReadError::NoHeader)
        );
    }
}
