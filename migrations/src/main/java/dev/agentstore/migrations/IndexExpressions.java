package dev.agentstore.migrations;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the key parts and the partial-index {@code WHERE} of an {@link IndexDefinition} and renders them as SQL.
 * DDL cannot bind parameters, so nothing the caller wrote reaches the database as written: the text is parsed into
 * tokens of a small grammar, every identifier, key and literal checked against a strict pattern, and the SQL
 * rendered from the parsed form. Anything outside the grammar is rejected.
 *
 * <pre>
 * key part  := operand [ASC | DESC]
 * operand   := column { -&gt; 'key' } [ -&gt;&gt; 'key' ]
 * where     := predicate { AND predicate }
 * predicate := operand (= | &lt;&gt; | != | &lt; | &lt;= | &gt; | &gt;=) literal
 *            | operand IS [NOT] NULL
 *            | operand [NOT] IN ( literal { , literal } )
 *            | [NOT] column
 * literal   := 'text' | number | TRUE | FALSE
 * column    := [a-z_][a-z0-9_]{0,62}
 * key       := [A-Za-z_][A-Za-z0-9_-]{0,62}
 * text      := [A-Za-z0-9 _.:@/+-]{0,200}
 * number    := -?[0-9]{1,18}(.[0-9]{1,18})?
 * </pre>
 * Key words are case-insensitive. Stateless.
 */
final class IndexExpressions {

    static final Pattern COLUMN = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,62}");
    static final Pattern TEXT = Pattern.compile("[A-Za-z0-9 _.:@/+-]{0,200}");

    private static final Pattern TOKEN = Pattern.compile(
            "\\s*(?:(->>|->|<=|>=|<>|!=|=|<|>|\\(|\\)|,)|'([^']*)'|(-?[0-9]+(?:\\.[0-9]+)?)|([A-Za-z_][A-Za-z0-9_]*))");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]{1,18}(\\.[0-9]{1,18})?");
    private static final Set<String> KEY_WORDS = Set.of("and", "or", "not", "is", "null", "in", "true", "false",
            "asc", "desc");

    /** A parsed expression: its SQL and the columns it reads. */
    record Parsed(String sql, List<String> columns) {
    }

    private enum Kind { SYMBOL, TEXT, NUMBER, WORD }

    private record Token(Kind kind, String text, int position) {
        boolean is(String word) {
            return (kind == Kind.WORD || kind == Kind.SYMBOL) && text.equalsIgnoreCase(word);
        }
    }

    private final String field;
    private final List<Token> tokens;
    private final List<String> columns = new ArrayList<>();
    private int next;

    private IndexExpressions(String field, String text) {
        this.field = field;
        this.tokens = tokenize(field, text);
    }

    /**
     * @param field names the input in messages, for example {@code indexes[my_idx].columns[0]}
     * @return a key part as SQL: a column, or a parenthesised JSON path, then the direction if given
     * @throws IllegalArgumentException when the text is outside the grammar
     */
    static Parsed keyPart(String field, String text) {
        IndexExpressions p = new IndexExpressions(field, text);
        String sql = p.operand();
        if (p.peek() != null && (p.peek().is("asc") || p.peek().is("desc"))) {
            sql += " " + p.take().text().toUpperCase(Locale.ROOT);
        }
        p.end();
        return new Parsed(sql, List.copyOf(p.columns));
    }

    /**
     * @param field names the input in messages, for example {@code indexes[my_idx].where}
     * @return the partial index's predicate as SQL
     * @throws IllegalArgumentException when the text is outside the grammar
     */
    static Parsed where(String field, String text) {
        IndexExpressions p = new IndexExpressions(field, text);
        StringBuilder sql = new StringBuilder(p.predicate());
        while (p.peek() != null && p.peek().is("and")) {
            p.take();
            sql.append(" AND ").append(p.predicate());
        }
        p.end();
        return new Parsed(sql.toString(), List.copyOf(p.columns));
    }

    private String predicate() {
        if (peek() != null && peek().is("not")) {
            take();
            return "NOT " + column();
        }
        String operand = operand();
        Token t = peek();
        if (t == null || t.is("and")) {
            if (operand.startsWith("(")) {
                throw fail(t, "a JSON path needs a comparison");
            }
            return operand;
        }
        take();
        if (t.is("is")) {
            boolean not = peek() != null && peek().is("not") && take() != null;
            expectWord("null");
            return operand + (not ? " IS NOT NULL" : " IS NULL");
        }
        if (t.is("not") || t.is("in")) {
            boolean not = t.is("not");
            if (not) {
                expectWord("in");
            }
            expectSymbol("(");
            List<String> values = new ArrayList<>(List.of(literal()));
            while (peek() != null && peek().is(",")) {
                take();
                values.add(literal());
            }
            expectSymbol(")");
            return operand + (not ? " NOT IN (" : " IN (") + String.join(", ", values) + ")";
        }
        if (t.kind() == Kind.SYMBOL && Set.of("=", "<>", "!=", "<", "<=", ">", ">=").contains(t.text())) {
            return operand + " " + (t.text().equals("!=") ? "<>" : t.text()) + " " + literal();
        }
        throw fail(t, "expected a comparison, IS [NOT] NULL, [NOT] IN (...) or AND");
    }

    private String operand() {
        String column = column();
        StringBuilder path = new StringBuilder();
        while (peek() != null && (peek().is("->") || peek().is("->>"))) {
            String arrow = take().text();
            Token key = take();
            if (key == null || key.kind() != Kind.TEXT || !KEY.matcher(key.text()).matches()) {
                throw fail(key, "a JSON key is a quoted name matching " + KEY.pattern());
            }
            path.append(' ').append(arrow).append(" '").append(key.text()).append('\'');
            if (arrow.equals("->>")) {
                break;
            }
        }
        return path.isEmpty() ? column : "(" + column + path + ")";
    }

    private String column() {
        Token t = take();
        if (t == null || t.kind() != Kind.WORD || !COLUMN.matcher(t.text()).matches()
                || KEY_WORDS.contains(t.text()) || SchemaNames.RESERVED.contains(t.text())) {
            throw fail(t, "expected a column name matching " + COLUMN.pattern());
        }
        columns.add(t.text());
        return t.text();
    }

    private String literal() {
        Token t = take();
        if (t != null && t.kind() == Kind.TEXT && TEXT.matcher(t.text()).matches()) {
            return "'" + t.text() + "'";
        }
        if (t != null && t.kind() == Kind.NUMBER && NUMBER.matcher(t.text()).matches()) {
            return t.text();
        }
        if (t != null && (t.is("true") || t.is("false"))) {
            return t.text().toLowerCase(Locale.ROOT);
        }
        throw fail(t, "expected a literal: 'text' of " + TEXT.pattern() + ", a number, true or false");
    }

    private void expectWord(String word) {
        Token t = take();
        if (t == null || !t.is(word)) {
            throw fail(t, "expected " + word.toUpperCase(Locale.ROOT));
        }
    }

    private void expectSymbol(String symbol) {
        Token t = take();
        if (t == null || !t.is(symbol)) {
            throw fail(t, "expected " + symbol);
        }
    }

    private void end() {
        if (peek() != null) {
            throw fail(peek(), "unexpected");
        }
    }

    private Token peek() {
        return next < tokens.size() ? tokens.get(next) : null;
    }

    private Token take() {
        return next < tokens.size() ? tokens.get(next++) : null;
    }

    private IllegalArgumentException fail(Token t, String what) {
        return new IllegalArgumentException(field + ": " + what + (t == null ? " at the end"
                : " at position " + (t.position() + 1) + " (" + t.kind().name().toLowerCase(Locale.ROOT) + " of "
                + t.text().length() + " characters)"));
    }

    private static List<Token> tokenize(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(field + ": must not be empty");
        }
        if (text.length() > 1000) {
            throw new IllegalArgumentException(field + ": at most 1000 characters, was " + text.length());
        }
        List<Token> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (text.substring(at).isBlank()) {
                break;
            }
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException(field + ": unexpected character at position "
                        + (firstNonBlank(text, at) + 1) + " (allowed: column names, -> and ->> with quoted keys,"
                        + " comparisons, IS [NOT] NULL, [NOT] IN, AND, NOT, literals)");
            }
            int position = firstNonBlank(text, at);
            if (m.group(1) != null) {
                tokens.add(new Token(Kind.SYMBOL, m.group(1), position));
            } else if (m.group(2) != null) {
                tokens.add(new Token(Kind.TEXT, m.group(2), position));
            } else if (m.group(3) != null) {
                tokens.add(new Token(Kind.NUMBER, m.group(3), position));
            } else {
                tokens.add(new Token(Kind.WORD, m.group(4), position));
            }
            at = m.end();
        }
        return tokens;
    }

    private static int firstNonBlank(String text, int from) {
        int i = from;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }
}
