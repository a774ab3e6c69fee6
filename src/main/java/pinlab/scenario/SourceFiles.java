package pinlab.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one place scenario files are read: only regular files (never a fifo, a device or a directory, which could
 * block or mean nothing), at most {@link #MAX_BYTES}, strictly UTF-8 (a leading byte-order mark is dropped). Every
 * failure is a {@link ScenarioException} with code PL000 (PL040 for a file too large) and the reason.
 */
public final class SourceFiles {
    /** The largest scenario file pinlab reads (PL040). */
    public static final int MAX_BYTES = 1 << 20;

    private SourceFiles() {}

    /** Reads scenario file {@code p}. */
    public static String read(Path p) throws ScenarioException {
        String name = p.toString();
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            boolean link = Files.isSymbolicLink(p);
            throw fail(name, link ? "a symbolic link to nothing (" + target(p) + ")" : "no such file",
                    link ? "fix or remove the link" : "check the path");
        } catch (FileSystemLoopException e) {
            throw fail(name, "a loop of symbolic links", "fix or remove the link");
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("levels of symbolic links")) {
                throw fail(name, "a loop of symbolic links", "fix or remove the link");
            }
            throw fail(name, "cannot read it: " + reason(e), "check the path and its permissions");
        }
        if (!a.isRegularFile()) {
            throw fail(name, "not a regular file: " + kind(p, a), "give a scenario file (*.pin)");
        }
        if (a.size() > MAX_BYTES) {
            throw new ScenarioException(name, 1, 1, "PL040", "the file has " + a.size() + " bytes; scenario files"
                    + " are at most " + MAX_BYTES, null);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(p)) {
            bytes = in.readNBytes(MAX_BYTES + 1); // /proc and the like report size 0
        } catch (IOException e) {
            throw fail(name, "cannot read it: " + reason(e), "check the path and its permissions");
        }
        if (bytes.length > MAX_BYTES) {
            throw new ScenarioException(name, 1, 1, "PL040", "the file has more than " + MAX_BYTES + " bytes;"
                    + " scenario files are at most " + MAX_BYTES, null);
        }
        return decode(name, bytes);
    }

    /** Reads a scenario from a stream (standard input, named {@code name}), with the limits of a file. */
    public static String read(String name, java.io.InputStream in) throws ScenarioException {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw fail(name, "cannot be read (" + e.getMessage() + ")", "check the input");
        }
        if (bytes.length > MAX_BYTES) {
            throw new ScenarioException(name, 1, 1, "PL040", "the input has more than " + MAX_BYTES + " bytes;"
                    + " scenario files are at most " + MAX_BYTES, null);
        }
        return decode(name, bytes);
    }

    /** Decodes UTF-8 strictly; an invalid byte is PL000 at its line and column. */
    static String decode(String name, byte[] bytes) throws ScenarioException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return d.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int bad = firstInvalid(bytes);
            String good = new String(bytes, 0, bad, StandardCharsets.UTF_8);
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < good.length(); i++) {
                if (good.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            int col = good.codePointCount(lineStart, good.length()) + 1;
            throw new ScenarioException(name, line, col, "PL000", String.format(java.util.Locale.ROOT,
                    "not UTF-8: byte 0x%02x at offset %d", bytes[bad] & 0xff, bad),
                    "scenario files are UTF-8 text");
        }
    }

    private static int firstInvalid(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int lo = 0;
        int hi = b.length;
        // the longest prefix that decodes (a prefix cut inside a character fails too, so search for the largest)
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            try {
                d.reset();
                d.decode(ByteBuffer.wrap(b, 0, mid));
                lo = mid;
            } catch (CharacterCodingException e) {
                hi = mid - 1;
            }
        }
        return Math.min(lo, b.length - 1);
    }

    private static ScenarioException fail(String name, String what, String hint) {
        return new ScenarioException(name, 1, 1, "PL000", what, hint);
    }

    private static String kind(Path p, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a directory";
        }
        try {
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (mode instanceof Integer m) {
                return switch (m & 0xF000) {
                    case 0x1000 -> "a fifo";
                    case 0x2000 -> "a character device";
                    case 0x6000 -> "a block device";
                    case 0xC000 -> "a socket";
                    default -> "not a file";
                };
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // fall through
        }
        return a.isOther() ? "a special file" : "not a file";
    }

    private static String target(Path p) {
        try {
            return "it points to " + Files.readSymbolicLink(p);
        } catch (IOException e) {
            return "unreadable target";
        }
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        String cls = e.getClass().getSimpleName();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return m == null || m.isEmpty() ? cls : cls + " (" + m + ")";
    }
}
