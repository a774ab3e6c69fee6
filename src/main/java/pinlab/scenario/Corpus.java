package pinlab.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The scenarios bundled with pinlab (the repository's corpus/ folder, packed into the jar). */
public final class Corpus {
    /** Extension of scenario files. */
    public static final String EXTENSION = ".pin";

    private Corpus() {}

    /** A bundled scenario: its name in messages and its text. */
    public record Entry(String file, String text) {}

    /** Returns the bundled scenarios, ordered by file name. */
    public static List<Entry> bundled() {
        URL url = Corpus.class.getResource("/pinlab/corpus");
        if (url == null) {
            return List.of();
        }
        try {
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    return read(fs.getPath("/pinlab/corpus"));
                }
            }
            return read(Path.of(uri));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Entry> read(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(EXTENSION))
                    .sorted(Comparator.comparing(f -> f.getFileName().toString())).toList()) {
                out.add(new Entry("corpus/" + p.getFileName(), Files.readString(p, StandardCharsets.UTF_8)));
            }
        }
        return out;
    }
}
