"""A small, safe evaluator for CUSTOM MMR formulas (SPEC §7).

Guild staff type formulas such as ``max(twos, threes) * 0.8 + onesPeak * 0.2``. The text is
tokenized and parsed by hand into an AST of frozen attrs nodes; nothing is ever handed to
``eval``. Grammar (usual precedence, left-associative binary operators)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-"* primary
    primary := NUMBER | VARIABLE | FUNCTION "(" expr ("," expr)* ")" | "(" expr ")"

Numbers are decimal literals (``12``, ``0.5``, ``.5``, ``3.``); there is no exponent syntax.
Variables are the names in :data:`VARIABLES` (case-sensitive). Functions: ``min``/``max``
(one or more arguments), ``abs`` and ``round`` (exactly one; ``round`` rounds half up).
Formulas are at most :data:`MAX_FORMULA_LENGTH` characters and nest parentheses and calls at
most :data:`MAX_NESTING_DEPTH` levels deep. Error positions are 0-based character offsets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal

import attrs

from tracker_core.errors import InvalidFormulaError

MAX_FORMULA_LENGTH = 500
MAX_NESTING_DEPTH = 50

VARIABLES: frozenset[str] = frozenset(
    {
        "ones",
        "twos",
        "threes",
        "fours",
        "onesGames",
        "twosGames",
        "threesGames",
        "foursGames",
        "onesPeak",
        "twosPeak",
        "threesPeak",
        "foursPeak",
        "totalGames",
    }
)

# Function name -> (minimum, maximum or None for unbounded) number of arguments.
FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "round": (1, 1),
}

Operator = Literal["+", "-", "*", "/"]


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves towards +infinity: ``floor(x + 0.5)``.

    Computed as ``floor(x)`` plus one when the (exact) fractional part is at least 0.5, which
    avoids the float error of literally adding 0.5 (``0.49999999999999994`` stays 0).

    Raises:
        OverflowError, ValueError: when ``x`` is infinite or NaN.
    """
    whole = math.floor(x)
    return whole + 1 if x - whole >= 0.5 else whole


@attrs.frozen
class Number:
    """A numeric literal."""

    value: float


@attrs.frozen
class Variable:
    """A reference to one of :data:`VARIABLES`."""

    name: str


@attrs.frozen
class Negate:
    """Unary minus."""

    operand: Node


@attrs.frozen
class BinaryOp:
    """``left <op> right``."""

    op: Operator
    left: Node
    right: Node


@attrs.frozen
class Call:
    """A call of one of the functions in :data:`FUNCTION_ARITY`."""

    function: str
    args: tuple[Node, ...]


Node = Number | Variable | Negate | BinaryOp | Call


class _NonFiniteError(Exception):
    """An intermediate value overflowed to infinity or NaN."""


@attrs.frozen
class Formula:
    """A parsed formula; evaluate it as often as needed."""

    text: str
    root: Node
    variables: frozenset[str]

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Evaluate with ``values`` for the variables; a missing variable counts as 0.

        Never raises for numeric reasons, because a guild's formula must not fail scrapes:
        a division by zero yields 0 (for that division only), and if any intermediate or the
        final result is infinite or NaN the whole result is 0.
        """
        try:
            return _evaluate(self.root, values)
        except _NonFiniteError:
            return 0.0


def compile_formula(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    Raises:
        InvalidFormulaError: naming the problem and its 0-based position, e.g.
            ``Unknown variable 'foo' at position 7``.
    """
    if len(text) > MAX_FORMULA_LENGTH:
        raise InvalidFormulaError(
            f"Formula is too long: {len(text)} characters (max {MAX_FORMULA_LENGTH})"
        )
    if not text.strip():
        raise InvalidFormulaError("Empty formula")
    root = _Parser(text).parse()
    return Formula(text=text, root=root, variables=frozenset(_variables_of(root)))


def _variables_of(node: Node) -> Iterator[str]:
    if isinstance(node, Variable):
        yield node.name
    elif isinstance(node, Negate):
        yield from _variables_of(node.operand)
    elif isinstance(node, BinaryOp):
        yield from _variables_of(node.left)
        yield from _variables_of(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _variables_of(arg)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise _NonFiniteError
    return value


def _evaluate(node: Node, values: Mapping[str, float]) -> float:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Variable):
        return _finite(float(values.get(node.name, 0.0)))
    if isinstance(node, Negate):
        return -_evaluate(node.operand, values)
    if isinstance(node, BinaryOp):
        left = _evaluate(node.left, values)
        right = _evaluate(node.right, values)
        return _finite(_apply(node.op, left, right))
    args = [_evaluate(arg, values) for arg in node.args]
    return _finite(_FUNCTIONS[node.function](args))


def _apply(op: Operator, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    return left / right if right != 0 else 0.0


_FUNCTIONS: dict[str, Callable[[Sequence[float]], float]] = {
    "min": min,
    "max": max,
    "abs": lambda args: abs(args[0]),
    "round": lambda args: float(round_half_up(args[0])),
}


@attrs.frozen
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


_TOKEN_RE = re.compile(
    r"(?P<number>\d+\.?\d*|\.\d+)|(?P<name>[A-Za-z_]\w*)|(?P<op>[-+*/(),])", re.ASCII
)
_OPERATORS: dict[str, Operator] = {"+": "+", "-": "-", "*": "*", "/": "/"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            tokens.append(_Token("end", "", position))
            return tokens
        match = _TOKEN_RE.match(text, position)
        if match is None or match.lastgroup is None:
            raise InvalidFormulaError(
                f"Unexpected character {text[position]!r} at position {position}"
            )
        tokens.append(_Token(match.lastgroup, match[0], position))
        position = match.end()


class _Parser:
    """Recursive-descent parser over the token list; ``depth`` bounds the recursion."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._index = 0
        self._depth = 0

    def parse(self) -> Node:
        node = self._expr()
        token = self._peek()
        if token.kind != "end":
            raise _unexpected(token)
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _peek_op(self, *texts: str) -> bool:
        token = self._tokens[self._index]
        return token.kind == "op" and token.text in texts

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _expr(self) -> Node:
        node = self._term()
        while self._peek_op("+", "-"):
            op = _OPERATORS[self._next().text]
            node = BinaryOp(op, node, self._term())
        return node

    def _term(self) -> Node:
        node = self._unary()
        while self._peek_op("*", "/"):
            op = _OPERATORS[self._next().text]
            node = BinaryOp(op, node, self._unary())
        return node

    def _unary(self) -> Node:
        # A loop, not recursion, and pairs cancel: "------x" must not build a deep tree.
        negations = 0
        while self._peek_op("-"):
            self._next()
            negations += 1
        node = self._primary()
        return Negate(node) if negations % 2 else node

    def _primary(self) -> Node:
        token = self._next()
        if token.kind == "number":
            return _number(token)
        if token.kind == "name":
            if self._peek_op("("):
                return self._call(token)
            return _variable(token)
        if token.kind == "op" and token.text == "(":
            self._enter(token)
            node = self._expr()
            self._expect_close(token)
            self._depth -= 1
            return node
        raise _unexpected(token)

    def _call(self, name: _Token) -> Node:
        if name.text not in FUNCTION_ARITY:
            raise InvalidFormulaError(f"Unknown function {name.text!r} at position {name.position}")
        opener = self._next()
        self._enter(opener)
        args = [] if self._peek_op(")") else [self._expr()]
        while args and self._peek_op(","):
            self._next()
            args.append(self._expr())
        self._expect_close(opener)
        self._depth -= 1
        _check_arity(name, len(args))
        return Call(name.text, tuple(args))

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > MAX_NESTING_DEPTH:
            raise InvalidFormulaError(
                f"Formula is nested too deeply (max {MAX_NESTING_DEPTH} levels) "
                f"at position {token.position}"
            )

    def _expect_close(self, opener: _Token) -> None:
        token = self._next()
        if token.kind == "op" and token.text == ")":
            return
        if token.kind == "end":
            raise InvalidFormulaError(
                f"Missing ')' for '(' opened at position {opener.position} "
                f"(end of formula at position {token.position})"
            )
        raise InvalidFormulaError(
            f"Expected ')' but found {token.text!r} at position {token.position}"
        )


def _number(token: _Token) -> Number:
    value = float(token.text)
    if not math.isfinite(value):
        raise InvalidFormulaError(f"Number too large at position {token.position}")
    return Number(value)


def _variable(token: _Token) -> Variable:
    if token.text in FUNCTION_ARITY:
        raise InvalidFormulaError(
            f"Function {token.text!r} must be called with parentheses at position {token.position}"
        )
    if token.text not in VARIABLES:
        raise InvalidFormulaError(f"Unknown variable {token.text!r} at position {token.position}")
    return Variable(token.text)


def _check_arity(name: _Token, count: int) -> None:
    low, high = FUNCTION_ARITY[name.text]
    if high is not None and count != high:
        noun = "argument" if high == 1 else "arguments"
        raise InvalidFormulaError(
            f"Function {name.text!r} takes {high} {noun} (got {count}) at position {name.position}"
        )
    if count < low:
        raise InvalidFormulaError(
            f"Function {name.text!r} takes at least {low} argument (got {count}) "
            f"at position {name.position}"
        )


def _unexpected(token: _Token) -> InvalidFormulaError:
    if token.kind == "end":
        return InvalidFormulaError(f"Unexpected end of formula at position {token.position}")
    return InvalidFormulaError(f"Unexpected token {token.text!r} at position {token.position}")
