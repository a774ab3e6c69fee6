package pinlab.scenario;

import java.util.ArrayList;
import java.util.List;

/** Splits scenario text into tokens with positions. Newlines are tokens: statements end at them. */
final class Lexer {
    enum Kind { IDENT, NUMBER, STRING, SYMBOL, NEWLINE, EOF }

    record Token(Kind kind, String text, int line, int col) {
        boolean is(String s) {
            return (kind == Kind.SYMBOL || kind == Kind.IDENT) && text.equals(s);
        }
    }

    private Lexer() {}

    static List<Token> lex(String file, String src) throws ScenarioException {
        List<Token> out = new ArrayList<>();
        int line = 1;
        int col = 1;
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '\n') {
                out.add(new Token(Kind.NEWLINE, "\\n", line, col));
                i++;
                line++;
                col = 1;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
                col++;
                continue;
            }
            if (c == '#') {
                while (i < n && src.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            int start = i;
            int startCol = col;
            if (c == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < n && src.charAt(i) != '"' && src.charAt(i) != '\n') {
                    sb.append(src.charAt(i));
                    i++;
                }
                if (i >= n || src.charAt(i) != '"') {
                    throw new ScenarioException(file, line, startCol, "PL002", "unterminated string",
                            "close the string with \" on the same line");
                }
                i++;
                col += src.codePointCount(start, i);
                out.add(new Token(Kind.STRING, sb.toString(), line, startCol));
                continue;
            }
            boolean digits = Character.isDigit(c) || (c == '-' && i + 1 < n && Character.isDigit(src.charAt(i + 1)));
            if (digits) {
                int j = i + 1;
                while (j < n && Character.isDigit(src.charAt(j))) {
                    j++;
                }
                // a number with a dot is a kernel release (5.15, 2.6.29, 5.8+kara-block), a name as in expect
                // lines: the format has no fractions
                if (c == '-' || j + 1 >= n || src.charAt(j) != '.' || !Character.isDigit(src.charAt(j + 1))) {
                    i = j;
                    col += src.codePointCount(start, i);
                    out.add(new Token(Kind.NUMBER, src.substring(start, i), line, startCol));
                    continue;
                }
            }
            if (digits || Character.isLetter(c) || c == '_') {
                i++;
                while (i < n && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_'
                        || src.charAt(i) == '-' || src.charAt(i) == '.' || src.charAt(i) == '+')) {
                    i++;
                }
                col += src.codePointCount(start, i);
                out.add(new Token(Kind.IDENT, src.substring(start, i), line, startCol));
                continue;
            }
            String two = i + 1 < n ? src.substring(i, i + 2) : "";
            if (two.equals("/\\") || two.equals("\\/") || two.equals("!=")) {
                out.add(new Token(Kind.SYMBOL, two, line, startCol));
                i += 2;
                col += 2;
                continue;
            }
            if (c == ';' && !out.isEmpty() && out.get(out.size() - 1).text().equals(";")) {
                i++; // a run of ';' is one separator: no token per byte
                col++;
                continue;
            }
            if ("{}[]():;,=~@-".indexOf(c) >= 0) {
                out.add(new Token(Kind.SYMBOL, String.valueOf(c), line, startCol));
                i++;
                col++;
                continue;
            }
            int cp = src.codePointAt(i);
            String shown = Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                    ? String.format(java.util.Locale.ROOT, "U+%04X", cp) : "'" + new String(Character.toChars(cp)) + "'";
            String hint = switch (cp) {
                case '&' -> "the format writes 'and' as '/\\'";
                case '|' -> "the format writes 'or' as '\\/'";
                case '!' -> "the format writes 'not' as '~' (and 'a != b' as it is)";
                case '>', '<' -> "the format compares with '=' only; list the values: (a = 1 \\/ a = 2)";
                default -> "see docs/scenario-format.md for the syntax";
            };
            throw new ScenarioException(file, line, startCol, "PL001", "unexpected character " + shown, hint);
        }
        out.add(new Token(Kind.NEWLINE, "\\n", line, col));
        out.add(new Token(Kind.EOF, "end of file", line, col));
        return out;
    }
}
