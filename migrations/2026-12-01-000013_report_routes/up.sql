-- The 34 provinces and centrally-run cities since 1 July 2025 (Resolution
-- 202/2025/QH15), for the public form and the routing of its reports.
CREATE TABLE provinces (
    code    TEXT PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,40}$'),
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort    INT NOT NULL
);
INSERT INTO provinces (code, name_vi, name_en, sort) VALUES
    ('ha-noi', 'Thành phố Hà Nội', 'Hanoi', 1),
    ('hue', 'Thành phố Huế', 'Hue', 2),
    ('hai-phong', 'Thành phố Hải Phòng', 'Hai Phong', 3),
    ('da-nang', 'Thành phố Đà Nẵng', 'Da Nang', 4),
    ('ho-chi-minh', 'Thành phố Hồ Chí Minh', 'Ho Chi Minh City', 5),
    ('can-tho', 'Thành phố Cần Thơ', 'Can Tho', 6),
    ('an-giang', 'Tỉnh An Giang', 'An Giang', 10),
    ('bac-ninh', 'Tỉnh Bắc Ninh', 'Bac Ninh', 11),
    ('ca-mau', 'Tỉnh Cà Mau', 'Ca Mau', 12),
    ('cao-bang', 'Tỉnh Cao Bằng', 'Cao Bang', 13),
    ('dak-lak', 'Tỉnh Đắk Lắk', 'Dak Lak', 14),
    ('dien-bien', 'Tỉnh Điện Biên', 'Dien Bien', 15),
    ('dong-nai', 'Tỉnh Đồng Nai', 'Dong Nai', 16),
    ('dong-thap', 'Tỉnh Đồng Tháp', 'Dong Thap', 17),
    ('gia-lai', 'Tỉnh Gia Lai', 'Gia Lai', 18),
    ('ha-tinh', 'Tỉnh Hà Tĩnh', 'Ha Tinh', 19),
    ('hung-yen', 'Tỉnh Hưng Yên', 'Hung Yen', 20),
    ('khanh-hoa', 'Tỉnh Khánh Hòa', 'Khanh Hoa', 21),
    ('lai-chau', 'Tỉnh Lai Châu', 'Lai Chau', 22),
    ('lam-dong', 'Tỉnh Lâm Đồng', 'Lam Dong', 23),
    ('lang-son', 'Tỉnh Lạng Sơn', 'Lang Son', 24),
    ('lao-cai', 'Tỉnh Lào Cai', 'Lao Cai', 25),
    ('nghe-an', 'Tỉnh Nghệ An', 'Nghe An', 26),
    ('ninh-binh', 'Tỉnh Ninh Bình', 'Ninh Binh', 27),
    ('phu-tho', 'Tỉnh Phú Thọ', 'Phu Tho', 28),
    ('quang-ngai', 'Tỉnh Quảng Ngãi', 'Quang Ngai', 29),
    ('quang-ninh', 'Tỉnh Quảng Ninh', 'Quang Ninh', 30),
    ('quang-tri', 'Tỉnh Quảng Trị', 'Quang Tri', 31),
    ('son-la', 'Tỉnh Sơn La', 'Son La', 32),
    ('tay-ninh', 'Tỉnh Tây Ninh', 'Tay Ninh', 33),
    ('thai-nguyen', 'Tỉnh Thái Nguyên', 'Thai Nguyen', 34),
    ('thanh-hoa', 'Tỉnh Thanh Hóa', 'Thanh Hoa', 35),
    ('tuyen-quang', 'Tỉnh Tuyên Quang', 'Tuyen Quang', 36),
    ('vinh-long', 'Tỉnh Vĩnh Long', 'Vinh Long', 37);

-- Where a public report goes, by the reporter's province and (optionally)
-- ward: the rule for the ward wins over the province's; with no rule, the
-- first active unit. `ward_key` is the ward's name folded (no diacritics, no
-- "phường"/"xã"), '' for the whole province.
CREATE TABLE report_routes (
    province   TEXT NOT NULL REFERENCES provinces (code),
    ward_key   TEXT NOT NULL DEFAULT '' CHECK (char_length(ward_key) <= 100),
    ward_name  TEXT NOT NULL DEFAULT '' CHECK (char_length(ward_name) <= 100),
    unit_id    INT NOT NULL REFERENCES units (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (province, ward_key)
);
