package pinlab.report;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/** Reads the packed rows of a report the way its script does: base64, then gunzip, in place of the block. */
public final class Packed {
    private Packed() {}

    /** One packed row: its number, the first ten bytes of its gzip member (the header), and its HTML. */
    record Block(int row, List<Integer> header, String html) {}

    static final Pattern BLOCK = Pattern.compile("<script type=\"application/gzip\\+base64\" data-row=\"(\\d+)\">"
            + "([^<]*)</script>\n");

    /** The packed rows of {@code page}, in the order they are written. */
    static List<Block> blocks(String page) {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(page);
        while (m.find()) {
            byte[] gz = Base64.getDecoder().decode(m.group(2));
            List<Integer> header = new ArrayList<>();
            for (int i = 0; i < 10 && i < gz.length; i++) {
                header.add(gz[i] & 0xff);
            }
            out.add(new Block(Integer.parseInt(m.group(1)), header, inflate(gz)));
        }
        return out;
    }

    /** Returns {@code page} with every packed row replaced by its sections, as the page is once all are unpacked. */
    public static String unpacked(String page) {
        Matcher m = BLOCK.matcher(page);
        StringBuilder out = new StringBuilder(page.length() * 5);
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(inflate(Base64.getDecoder().decode(m.group(2)))));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String inflate(byte[] gz) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
