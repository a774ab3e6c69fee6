package pinlab.cli;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.Writer;

/**
 * What pinlab prints on a terminal or into a file never carries control characters from a scenario: every C0 and
 * C1 control except newline and tab, DEL, and the Unicode bidirectional overrides are written as {@code \}{@code
 * uXXXX}, which is also a valid escape inside a JSON string, so JSON output decodes to the same text.
 */
final class SafeWriter extends FilterWriter {
    SafeWriter(Writer out) {
        super(out);
    }

    static boolean unsafe(int c) {
        return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069);
    }

    @Override
    public void write(int c) throws IOException {
        if (unsafe(c)) {
            out.write(String.format(java.util.Locale.ROOT, "\\u%04x", c));
        } else {
            out.write(c);
        }
    }

    @Override
    public void write(char[] buf, int off, int len) throws IOException {
        int start = off;
        for (int i = off; i < off + len; i++) {
            if (unsafe(buf[i])) {
                out.write(buf, start, i - start);
                write(buf[i]);
                start = i + 1;
            }
        }
        out.write(buf, start, off + len - start);
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
        write(s.toCharArray(), off, len);
    }
}
