"""The currencies money is kept in: ISO 4217 codes in legal tender somewhere (CLDR's
territory data, read on 2026-01-01), each with its English name, its minor-unit digits
and its English symbol (the code itself where English has none). A currency's id is its
place in this table, which only ever grows at the end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    id: int
    code: str
    name: str
    decimal_points: int
    symbol: str


_TABLE: tuple[tuple[str, str, int, str], ...] = (
    ('AED', 'United Arab Emirates Dirham', 2, 'AED'),
    ('AFN', 'Afghan Afghani', 0, 'AFN'),
    ('ALL', 'Albanian Lek', 0, 'ALL'),
    ('AMD', 'Armenian Dram', 2, 'AMD'),
    ('AOA', 'Angolan Kwanza', 2, 'AOA'),
    ('ARS', 'Argentine Peso', 2, 'ARS'),
    ('AUD', 'Australian Dollar', 2, 'A$'),
    ('AWG', 'Aruban Florin', 2, 'AWG'),
    ('AZN', 'Azerbaijani Manat', 2, 'AZN'),
    ('BAM', 'Bosnia-Herzegovina Convertible Mark', 2, 'BAM'),
    ('BBD', 'Barbadian Dollar', 2, 'BBD'),
    ('BDT', 'Bangladeshi Taka', 2, 'BDT'),
    ('BGN', 'Bulgarian Lev', 2, 'BGN'),
    ('BHD', 'Bahraini Dinar', 3, 'BHD'),
    ('BIF', 'Burundian Franc', 0, 'BIF'),
    ('BMD', 'Bermudan Dollar', 2, 'BMD'),
    ('BND', 'Brunei Dollar', 2, 'BND'),
    ('BOB', 'Bolivian Boliviano', 2, 'BOB'),
    ('BRL', 'Brazilian Real', 2, 'R$'),
    ('BSD', 'Bahamian Dollar', 2, 'BSD'),
    ('BTN', 'Bhutanese Ngultrum', 2, 'BTN'),
    ('BWP', 'Botswanan Pula', 2, 'BWP'),
    ('BYN', 'Belarusian Ruble', 2, 'BYN'),
    ('BZD', 'Belize Dollar', 2, 'BZD'),
    ('CAD', 'Canadian Dollar', 2, 'CA$'),
    ('CDF', 'Congolese Franc', 2, 'CDF'),
    ('CHF', 'Swiss Franc', 2, 'CHF'),
    ('CLP', 'Chilean Peso', 0, 'CLP'),
    ('CNY', 'Chinese Yuan', 2, 'CN¥'),
    ('COP', 'Colombian Peso', 0, 'COP'),
    ('CRC', 'Costa Rican Colón', 2, 'CRC'),
    ('CUP', 'Cuban Peso', 2, 'CUP'),
    ('CVE', 'Cape Verdean Escudo', 2, 'CVE'),
    ('CZK', 'Czech Koruna', 2, 'CZK'),
    ('DJF', 'Djiboutian Franc', 0, 'DJF'),
    ('DKK', 'Danish Krone', 2, 'DKK'),
    ('DOP', 'Dominican Peso', 2, 'DOP'),
    ('DZD', 'Algerian Dinar', 2, 'DZD'),
    ('EGP', 'Egyptian Pound', 2, 'EGP'),
    ('ERN', 'Eritrean Nakfa', 2, 'ERN'),
    ('ETB', 'Ethiopian Birr', 2, 'ETB'),
    ('EUR', 'Euro', 2, '€'),
    ('FJD', 'Fijian Dollar', 2, 'FJD'),
    ('FKP', 'Falkland Islands Pound', 2, 'FKP'),
    ('GBP', 'British Pound', 2, '£'),
    ('GEL', 'Georgian Lari', 2, 'GEL'),
    ('GHS', 'Ghanaian Cedi', 2, 'GHS'),
    ('GIP', 'Gibraltar Pound', 2, 'GIP'),
    ('GMD', 'Gambian Dalasi', 2, 'GMD'),
    ('GNF', 'Guinean Franc', 0, 'GNF'),
    ('GTQ', 'Guatemalan Quetzal', 2, 'GTQ'),
    ('GYD', 'Guyanaese Dollar', 2, 'GYD'),
    ('HKD', 'Hong Kong Dollar', 2, 'HK$'),
    ('HNL', 'Honduran Lempira', 2, 'HNL'),
    ('HTG', 'Haitian Gourde', 2, 'HTG'),
    ('HUF', 'Hungarian Forint', 0, 'HUF'),
    ('IDR', 'Indonesian Rupiah', 0, 'IDR'),
    ('ILS', 'Israeli New Shekel', 2, '₪'),
    ('INR', 'Indian Rupee', 2, '₹'),
    ('IQD', 'Iraqi Dinar', 0, 'IQD'),
    ('IRR', 'Iranian Rial', 0, 'IRR'),
    ('ISK', 'Icelandic Króna', 0, 'ISK'),
    ('JMD', 'Jamaican Dollar', 2, 'JMD'),
    ('JOD', 'Jordanian Dinar', 3, 'JOD'),
    ('JPY', 'Japanese Yen', 0, '¥'),
    ('KES', 'Kenyan Shilling', 2, 'KES'),
    ('KGS', 'Kyrgyz Som', 2, 'KGS'),
    ('KHR', 'Cambodian Riel', 2, 'KHR'),
    ('KMF', 'Comorian Franc', 0, 'KMF'),
    ('KPW', 'North Korean Won', 0, 'KPW'),
    ('KRW', 'South Korean Won', 0, '₩'),
    ('KWD', 'Kuwaiti Dinar', 3, 'KWD'),
    ('KYD', 'Cayman Islands Dollar', 2, 'KYD'),
    ('KZT', 'Kazakhstani Tenge', 2, 'KZT'),
    ('LAK', 'Laotian Kip', 0, 'LAK'),
    ('LBP', 'Lebanese Pound', 0, 'LBP'),
    ('LKR', 'Sri Lankan Rupee', 2, 'LKR'),
    ('LRD', 'Liberian Dollar', 2, 'LRD'),
    ('LSL', 'Lesotho Loti', 2, 'LSL'),
    ('LYD', 'Libyan Dinar', 3, 'LYD'),
    ('MAD', 'Moroccan Dirham', 2, 'MAD'),
    ('MDL', 'Moldovan Leu', 2, 'MDL'),
    ('MGA', 'Malagasy Ariary', 0, 'MGA'),
    ('MKD', 'Macedonian Denar', 2, 'MKD'),
    ('MMK', 'Myanmar Kyat', 0, 'MMK'),
    ('MNT', 'Mongolian Tugrik', 2, 'MNT'),
    ('MOP', 'Macanese Pataca', 2, 'MOP'),
    ('MRU', 'Mauritanian Ouguiya', 2, 'MRU'),
    ('MUR', 'Mauritian Rupee', 2, 'MUR'),
    ('MVR', 'Maldivian Rufiyaa', 2, 'MVR'),
    ('MWK', 'Malawian Kwacha', 2, 'MWK'),
    ('MXN', 'Mexican Peso', 2, 'MX$'),
    ('MYR', 'Malaysian Ringgit', 2, 'MYR'),
    ('MZN', 'Mozambican Metical', 2, 'MZN'),
    ('NAD', 'Namibian Dollar', 2, 'NAD'),
    ('NGN', 'Nigerian Naira', 2, 'NGN'),
    ('NIO', 'Nicaraguan Córdoba', 2, 'NIO'),
    ('NOK', 'Norwegian Krone', 2, 'NOK'),
    ('NPR', 'Nepalese Rupee', 2, 'NPR'),
    ('NZD', 'New Zealand Dollar', 2, 'NZ$'),
    ('OMR', 'Omani Rial', 3, 'OMR'),
    ('PAB', 'Panamanian Balboa', 2, 'PAB'),
    ('PEN', 'Peruvian Sol', 2, 'PEN'),
    ('PGK', 'Papua New Guinean Kina', 2, 'PGK'),
    ('PHP', 'Philippine Peso', 2, '₱'),
    ('PKR', 'Pakistani Rupee', 2, 'PKR'),
    ('PLN', 'Polish Zloty', 2, 'PLN'),
    ('PYG', 'Paraguayan Guarani', 0, 'PYG'),
    ('QAR', 'Qatari Riyal', 2, 'QAR'),
    ('RON', 'Romanian Leu', 2, 'RON'),
    ('RSD', 'Serbian Dinar', 2, 'RSD'),
    ('RUB', 'Russian Ruble', 2, 'RUB'),
    ('RWF', 'Rwandan Franc', 0, 'RWF'),
    ('SAR', 'Saudi Riyal', 2, 'SAR'),
    ('SBD', 'Solomon Islands Dollar', 2, 'SBD'),
    ('SCR', 'Seychellois Rupee', 2, 'SCR'),
    ('SDG', 'Sudanese Pound', 2, 'SDG'),
    ('SEK', 'Swedish Krona', 2, 'SEK'),
    ('SGD', 'Singapore Dollar', 2, 'SGD'),
    ('SHP', 'St. Helena Pound', 2, 'SHP'),
    ('SLE', 'Sierra Leonean Leone', 2, 'SLE'),
    ('SOS', 'Somali Shilling', 0, 'SOS'),
    ('SRD', 'Surinamese Dollar', 2, 'SRD'),
    ('SSP', 'South Sudanese Pound', 2, 'SSP'),
    ('STN', 'São Tomé & Príncipe Dobra', 2, 'STN'),
    ('SYP', 'Syrian Pound', 0, 'SYP'),
    ('SZL', 'Swazi Lilangeni', 2, 'SZL'),
    ('THB', 'Thai Baht', 2, 'THB'),
    ('TJS', 'Tajikistani Somoni', 2, 'TJS'),
    ('TMT', 'Turkmenistani Manat', 2, 'TMT'),
    ('TND', 'Tunisian Dinar', 3, 'TND'),
    ('TOP', 'Tongan Paʻanga', 2, 'TOP'),
    ('TRY', 'Turkish Lira', 2, 'TRY'),
    ('TTD', 'Trinidad & Tobago Dollar', 2, 'TTD'),
    ('TWD', 'New Taiwan Dollar', 2, 'NT$'),
    ('TZS', 'Tanzanian Shilling', 2, 'TZS'),
    ('UAH', 'Ukrainian Hryvnia', 2, 'UAH'),
    ('UGX', 'Ugandan Shilling', 0, 'UGX'),
    ('USD', 'US Dollar', 2, '$'),
    ('UYU', 'Uruguayan Peso', 2, 'UYU'),
    ('UZS', 'Uzbekistani Som', 2, 'UZS'),
    ('VES', 'Venezuelan Bolívar', 2, 'VES'),
    ('VND', 'Vietnamese Dong', 0, '₫'),
    ('VUV', 'Vanuatu Vatu', 0, 'VUV'),
    ('WST', 'Samoan Tala', 2, 'WST'),
    ('XAF', 'Central African CFA Franc', 0, 'FCFA'),
    ('XCD', 'East Caribbean Dollar', 2, 'EC$'),
    ('XCG', 'Caribbean guilder', 2, 'Cg.'),
    ('XOF', 'West African CFA Franc', 0, 'F\u202fCFA'),
    ('XPF', 'CFP Franc', 0, 'CFPF'),
    ('YER', 'Yemeni Rial', 0, 'YER'),
    ('ZAR', 'South African Rand', 2, 'ZAR'),
    ('ZMW', 'Zambian Kwacha', 2, 'ZMW'),
    ('ZWG', 'Zimbabwean Gold', 2, 'ZWG'),
)

CURRENCIES: tuple[Currency, ...] = tuple(Currency(n, *row) for n, row in enumerate(_TABLE, 1))
BY_CODE: dict[str, Currency] = {c.code: c for c in CURRENCIES}

Rates = dict[tuple[str, str], float]  # (from, to) -> what one unit of from is worth in to


def rate(rates: Rates, source: str, target: str) -> float | None:
    """The factor that turns an amount of ``source`` into ``target``: 1 for the same
    currency, the pair's rate, else the inverse of the opposite pair's; None without one
    (never a guess through a third currency)."""
    if source == target:
        return 1.0
    found = rates.get((source, target))
    if found is not None:
        return found
    opposite = rates.get((target, source))
    return 1.0 / opposite if opposite else None


__all__ = ["BY_CODE", "CURRENCIES", "Currency", "Rates", "rate"]
