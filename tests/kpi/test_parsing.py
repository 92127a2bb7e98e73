"""Every cell format the importer reads, and the errors for the others."""

from datetime import date, time, timedelta

import pytest

from app.kpi.parsing import decode, month_of, parse_number, parse_percent, parse_period, parse_seconds


@pytest.mark.parametrize("text, value", [
    ("1,234", 1234), ("１２３４", 1234), (" 12.5 ", 12.5), ("-3", -3), (7, 7), (2.5, 2.5), ("", None), ("-", None),
    ("延迟统计", None), (None, None),
])
def test_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["12a", "1,23", "1.2.3", "abc", "--5", True, float("inf"), float("-inf"),
                                  float("nan"), pytest.param(10 ** 400, id="10**400"),
                                  pytest.param("9" * 400, id="400 nines"), "inf", "NaN", "1e999"])
def test_not_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("text, fraction, value", [
    ("92.5%", False, (92.5, True)), ("92.5%", True, (92.5, True)), ("９２．５％", False, (92.5, True)),
    ("0.925", True, (92.5, False)), ("92.5", False, (92.5, False)), (0.925, True, (92.5, False)),
    ("", False, (None, False)),
])
def test_percentages(text, fraction, value):
    result, had_sign = parse_percent(text, fraction)
    assert (pytest.approx(result) if result is not None else None, had_sign) == value


@pytest.mark.parametrize("text, seconds", [
    ("205", 205), ("00:03:25", 205), ("3:25", 205), ("1:00:00", 3600), ("3分25秒", 205), ("9秒", 9),
    ("2分钟", 120), ("1小时2分", 3720), ("１分５秒", 65), (time(0, 3, 25), 205), (timedelta(minutes=2), 120),
    (45.5, 45.5), ("", None),
])
def test_durations(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["3分钟半", "fast", "12:75", "分秒", float("inf"), float("nan"),
                                  pytest.param(10 ** 400, id="10**400"), pytest.param("9" * 400 + "秒", id="nines 秒")])
def test_not_durations(text):
    with pytest.raises(ValueError):
        parse_seconds(text)


@pytest.mark.parametrize("text, first, last", [
    ("2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),
    ("2026/10/5", date(2026, 10, 5), date(2026, 10, 5)),
    ("2026年10月5日", date(2026, 10, 5), date(2026, 10, 5)),
    ("20261005", date(2026, 10, 5), date(2026, 10, 5)),
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026年2月", date(2026, 2, 1), date(2026, 2, 28)),
    ("202612", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-10-01至2026-10-31", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-10-01 ~ 2026-10-07", date(2026, 10, 1), date(2026, 10, 7)),
    (date(2026, 3, 4), date(2026, 3, 4), date(2026, 3, 4)),
])
def test_periods(text, first, last):
    assert parse_period(text) == (first, last)


@pytest.mark.parametrize("text, message", [
    ("2026-02-30", "no such date"), ("2026-13", "no such date"), ("上个月", "not a date"), ("", "empty"),
    ("2026-10-31至2026-10-01", "ends before"), ("0001-01", "implausible year"), ("1999-12-31", "implausible year"),
    ("1999-12-31至2000-01-01", "implausible year"), (date(1900, 1, 1), "implausible year"),
])
def test_bad_periods_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_period(text)


def test_rows_roll_up_to_their_month_and_a_two_month_row_is_refused():
    assert month_of(date(2026, 10, 5), date(2026, 10, 11)) == date(2026, 10, 1)
    with pytest.raises(ValueError, match="more than one month"):
        month_of(date(2026, 9, 28), date(2026, 10, 4))


def test_encodings_are_detected_and_can_be_forced():
    text = "工号,满意度\nKF1001,92%\n"
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode(text.encode("gbk")) == (text, "gb18030")
    assert decode(text.encode("gbk"), "gbk") == (text, "gbk")
    with pytest.raises(ValueError, match="not valid utf-8"):
        decode(text.encode("gbk"), "utf-8")


@pytest.mark.parametrize("text", [float("inf"), float("nan"), pytest.param(10 ** 400, id="10**400"),
                                  pytest.param("9" * 400 + "%", id="nines %")])
def test_not_percentages(text):
    with pytest.raises(ValueError, match="not a finite number"):
        parse_percent(text)


def test_the_first_plausible_year_is_2000():
    assert parse_period("2000-01") == (date(2000, 1, 1), date(2000, 1, 31))
