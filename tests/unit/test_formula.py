"""CUSTOM MMR formulas: evaluation, precedence, errors, and generated formulas vs a reference."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from tracker_core.errors import InvalidFormulaError
from tracker_core.formula import VARIABLES, compile_formula

VALUES = {
    "ones": 900.0,
    "twos": 1200.0,
    "threes": 1500.0,
    "fours": 0.0,
    "onesGames": 10.0,
    "twosGames": 200.0,
    "threesGames": 300.0,
    "foursGames": 0.0,
    "onesPeak": 1000.0,
    "twosPeak": 1300.0,
    "threesPeak": 1600.0,
    "foursPeak": 0.0,
    "totalGames": 510.0,
}


def evaluate(text: str, values: dict[str, float] | None = None) -> float:
    return compile_formula(text).evaluate(VALUES if values is None else values)


def error_of(text: str) -> str:
    with pytest.raises(InvalidFormulaError) as info:
        compile_formula(text)
    return info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("twos", 1200.0),
        ("max(twos, threes) * 0.8 + onesPeak * 0.2", 1400.0),
        ("(twos * twosGames + threes * threesGames) / (twosGames + threesGames)", 1380.0),
        ("min(ones, twos, threes)", 900.0),
        ("max(fours)", 0.0),
        ("abs(ones - threes)", 600.0),
        ("round(threes / 7)", 214.0),
        ("totalGames", 510.0),
        ("  \tthrees\n", 1500.0),
    ],
)
def test_evaluation_examples(text: str, expected: float) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("10 - (4 - 3)", 9.0),
        ("64 / 4 / 2", 8.0),
        ("64 / (4 / 2)", 32.0),
        ("2 * 3 + 4 * 5", 26.0),
        ("10 - 2 * 3", 4.0),
        ("12 - 6 / 3 - 1", 9.0),
        ("-2 * 3", -6.0),
        ("2 - -3", 5.0),
        ("--3", 3.0),
        ("---3", -3.0),
        ("-(1 + 2) * -2", 6.0),
        ("8 / 2 * 4", 16.0),
    ],
)
def test_precedence_and_associativity(text: str, expected: float) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("round(0.5)", 1.0),
        ("round(2.5)", 3.0),
        ("round(2.4999)", 2.0),
        ("round(-2.5)", -2.0),
        ("round(-2.6)", -3.0),
        ("round(0.49999999999999994)", 0.0),
    ],
)
def test_round_is_half_up(text: str, expected: float) -> None:
    assert evaluate(text) == expected


def test_variables_lists_only_the_names_used() -> None:
    formula = compile_formula("max(twos, threes) + twos * -onesGames + 1")
    assert formula.variables == {"twos", "threes", "onesGames"}
    assert compile_formula("1 + 2").variables == frozenset()


def test_missing_variables_count_as_zero() -> None:
    assert compile_formula("twos + 5").evaluate({}) == 5.0


def test_division_by_zero_gives_zero_for_that_division_only() -> None:
    assert evaluate("threes / fours") == 0.0
    assert evaluate("0 / 0") == 0.0
    assert evaluate("100 + ones / (twos - twos)") == 100.0


def test_overflow_anywhere_gives_zero() -> None:
    huge = {"ones": 1e200}
    assert compile_formula("ones * ones").evaluate(huge) == 0.0
    assert compile_formula("max(ones * ones, 5)").evaluate(huge) == 0.0
    assert compile_formula("ones * ones - ones * ones").evaluate(huge) == 0.0
    assert compile_formula("ones").evaluate({"ones": math.inf}) == 0.0
    assert compile_formula("ones + 1").evaluate({"ones": math.nan}) == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty formula"),
        ("   \n", "Empty formula"),
        ("ones + foo", "Unknown variable 'foo' at position 7"),
        ("Ones", "Unknown variable 'Ones' at position 0"),
        ("(1+)", "Unexpected token ')' at position 3"),
        ("1 2", "Unexpected token '2' at position 2"),
        ("ones twos", "Unexpected token 'twos' at position 5"),
        ("1.2.3", "Unexpected token '.3' at position 3"),
        ("* 2", "Unexpected token '*' at position 0"),
        ("max(1,2,", "Unexpected end of formula at position 8"),
        ("1 +", "Unexpected end of formula at position 3"),
        ("1 $ 2", "Unexpected character '$' at position 2"),
        ("ones ** 2", "Unexpected token '*' at position 6"),
        ("__import__('os')", 'Unexpected character "\'" at position 11'),
        ("__import__(ones)", "Unknown function '__import__' at position 0"),
        ("ones(1)", "Unknown function 'ones' at position 0"),
        ("sqrt(4)", "Unknown function 'sqrt' at position 0"),
        ("min + 1", "Function 'min' must be called with parentheses at position 0"),
        ("abs(1, 2)", "Function 'abs' takes 1 argument (got 2) at position 0"),
        ("1 + round(1, 2, 3)", "Function 'round' takes 1 argument (got 3) at position 4"),
        ("abs()", "Function 'abs' takes 1 argument (got 0) at position 0"),
        ("min()", "Function 'min' takes at least 1 argument (got 0) at position 0"),
        ("max(1,)", "Unexpected token ')' at position 6"),
        ("(((1)", "Missing ')' for '(' opened at position 1 (end of formula at position 5)"),
        ("abs(1", "Missing ')' for '(' opened at position 3 (end of formula at position 5)"),
        ("(1 2)", "Expected ')' but found '2' at position 3"),
        ("9" * 400, "Number too large at position 0"),
        ("1" * 501, "Formula is too long: 501 characters (max 500)"),
        ("(" * 51 + "1" + ")" * 51, "Formula is nested too deeply (max 50 levels) at position 50"),
        (
            "abs(" * 51 + "1" + ")" * 51,
            "Formula is nested too deeply (max 50 levels) at position 203",
        ),
    ],
)
def test_error_messages(text: str, message: str) -> None:
    assert error_of(text) == message


def test_limits_are_inclusive() -> None:
    assert evaluate("(" * 50 + "7" + ")" * 50) == 7.0
    assert evaluate("abs(" * 25 + "(" * 25 + "-7" + ")" * 50) == 7.0
    longest = "1+" * 249 + "1"
    assert len(longest) == 499
    assert evaluate(longest + " ") == 250.0
    assert evaluate("-" * 499 + "3") == -3.0


def test_error_is_an_http_400_rule_violation() -> None:
    with pytest.raises(InvalidFormulaError) as info:
        compile_formula("nope")
    assert info.value.code == "INVALID_FORMULA"


# --- generated formulas against a reference evaluator ----------------------------------------
#
# An expression is a nested tuple: ("num", text), ("var", name), ("neg", e), ("bin", op, l, r),
# ("call", name, args). The reference evaluates it directly, the renderer prints it with as few
# parentheses as precedence allows, and the parser must agree with the reference.

Expr = Any  # nested tuples, see above
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}

numbers = st.integers(0, 100_000).map(
    lambda i: ("num", str(i // 100) if i % 3 else f"{i // 100}.{i % 100:02d}")
)
variables = st.sampled_from(sorted(VARIABLES)).map(lambda name: ("var", name))


@st.composite
def expressions(draw: st.DrawFn, depth: int = 5) -> Expr:
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(numbers | variables)
    # Binary operators are listed thrice so that precedence mixes are common.
    kind = draw(st.sampled_from(["bin", "bin", "bin", "neg", "call1", "calln"]))
    child = expressions(depth - 1)
    if kind == "bin":
        return ("bin", draw(st.sampled_from(sorted(PRECEDENCE))), draw(child), draw(child))
    if kind == "neg":
        return ("neg", draw(child))
    if kind == "call1":
        return ("call", draw(st.sampled_from(["abs", "round"])), (draw(child),))
    args = draw(st.lists(child, min_size=1, max_size=4))
    return ("call", draw(st.sampled_from(["min", "max"])), tuple(args))


finite_values = st.fixed_dictionaries(
    {name: st.integers(-3000, 3000).map(float) for name in sorted(VARIABLES)}
)


def reference(expr: Expr, values: dict[str, float]) -> float:
    kind = expr[0]
    if kind == "num":
        return float(str(expr[1]))
    if kind == "var":
        return values[str(expr[1])]
    if kind == "neg":
        return -reference(expr[1], values)
    if kind == "bin":
        left = reference(expr[2], values)
        right = reference(expr[3], values)
        return {
            "+": lambda: left + right,
            "-": lambda: left - right,
            "*": lambda: left * right,
            "/": lambda: 0.0 if right == 0 else left / right,
        }[str(expr[1])]()
    args = [reference(arg, values) for arg in expr[2]]
    name = expr[1]
    if name == "round":
        return float(math.floor(Fraction(args[0]) + Fraction(1, 2)))
    if name == "abs":
        return -args[0] if args[0] < 0 else args[0]
    return float(min(args) if name == "min" else max(args))


def precedence(expr: Expr) -> int:
    kind = expr[0]
    if kind == "bin":
        return PRECEDENCE[str(expr[1])]
    return 3 if kind == "neg" else 4


def render(expr: Expr) -> str:
    kind = expr[0]
    if kind in ("num", "var"):
        return str(expr[1])
    if kind == "neg":
        operand = expr[1]
        inner = render(operand)
        return f"-({inner})" if precedence(operand) < 3 else f"-{inner}"
    if kind == "call":
        return f"{expr[1]}({', '.join(render(arg) for arg in expr[2])})"
    op, left, right = str(expr[1]), expr[2], expr[3]
    left_text, right_text = render(left), render(right)
    if precedence(left) < PRECEDENCE[op]:
        left_text = f"({left_text})"
    if precedence(right) <= PRECEDENCE[op]:
        right_text = f"({right_text})"
    return f"{left_text} {op} {right_text}"


@settings(max_examples=examples(300))
@given(expressions(), finite_values)
def test_generated_formula_matches_reference(expr: Expr, values: dict[str, float]) -> None:
    expected = reference(expr, values)
    if not math.isfinite(expected):
        expected = 0.0
    assert compile_formula(render(expr)).evaluate(values) == expected


FRAGMENTS = [*sorted(VARIABLES), "min", "max", "abs", "round", "foo", "(", ")", ",", "+", "-"]
FRAGMENTS += ["*", "/", "0", "7", ".5", "1.", " ", "$", "é", "\n"]


@given(
    st.one_of(st.text(max_size=80), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)),
    st.dictionaries(st.sampled_from(sorted(VARIABLES)), st.floats(allow_nan=True)),
)
def test_any_text_compiles_or_raises_invalid_formula(text: str, values: dict[str, float]) -> None:
    try:
        formula = compile_formula(text)
    except InvalidFormulaError as error:
        assert error.message
        return
    assert formula.variables <= VARIABLES
    assert math.isfinite(formula.evaluate(values))
