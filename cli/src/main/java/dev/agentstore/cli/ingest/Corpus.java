package dev.agentstore.cli.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The files to ingest: HTML ({@code .html}, {@code .htm}), Markdown ({@code .md}, {@code .markdown}) and text
 * ({@code .txt}) files given directly or found under given directories (recursively, in path order).
 */
public final class Corpus {

    /**
     * A file of the corpus.
     *
     * @param root the directory it was found under (its parent, for a file given directly)
     * @param path the file
     */
    public record SourceFile(Path root, Path path) {
        /** @return the document id: the path relative to the root, with {@code /} separators */
        public String id() {
            return root.relativize(path).toString().replace('\\', '/');
        }
    }

    /** Thrown when a path does not exist, cannot be read, or the corpus has no supported file. */
    public static final class CorpusException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, naming the path */
        public CorpusException(String message) {
            super(message);
        }
    }

    private final HtmlExtractor html = new HtmlExtractor();
    private final TextExtractor text = new TextExtractor();
    private final List<SourceFile> files;

    private Corpus(List<SourceFile> files) {
        this.files = files;
    }

    /**
     * @param paths    files and directories
     * @param excludes glob patterns matched against file names (for example {@code bookindex.html})
     * @return the corpus
     * @throws CorpusException when a path is missing or unreadable, or no supported file is found
     */
    public static Corpus of(List<Path> paths, List<String> excludes) {
        List<PathMatcher> ex = excludes.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        List<SourceFile> files = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) {
                throw new CorpusException(p + " does not exist");
            }
            if (!Files.isReadable(p)) {
                throw new CorpusException(p + " is not readable (check its permissions)");
            }
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).filter(Corpus::supported)
                            .filter(f -> ex.stream().noneMatch(m -> m.matches(f.getFileName())))
                            .sorted().forEach(f -> files.add(new SourceFile(p, f)));
                } catch (IOException | UncheckedIOException e) {
                    throw new CorpusException("cannot list " + p + ": " + e.getMessage());
                }
            } else if (supported(p)) {
                Path parent = p.toAbsolutePath().getParent();
                files.add(new SourceFile(parent, p.toAbsolutePath()));
            } else {
                throw new CorpusException(p + " is not an HTML, Markdown or text file (.html .htm .md .markdown .txt)");
            }
        }
        if (files.isEmpty()) {
            throw new CorpusException("no HTML, Markdown or text files found in " + paths);
        }
        return new Corpus(List.copyOf(files));
    }

    /** @return the files, in path order */
    public List<SourceFile> files() {
        return files;
    }

    /**
     * Reads and extracts one file.
     *
     * @param file a file of this corpus
     * @return its text blocks
     * @throws CorpusException when it cannot be read
     */
    public SourceDocument extract(SourceFile file) {
        String source;
        try {
            source = Files.readString(file.path(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            try {
                source = Files.readString(file.path(), StandardCharsets.ISO_8859_1);
            } catch (IOException e2) {
                throw new CorpusException("cannot read " + file.path() + ": " + e2.getMessage());
            }
        }
        String name = file.path().getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".html") || lower.endsWith(".htm")) {
            return html.extract(file.id(), source, name);
        }
        return text.extract(file.id(), source, lower.endsWith(".md") || lower.endsWith(".markdown"), name);
    }

    private static boolean supported(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".html") || n.endsWith(".htm") || n.endsWith(".md") || n.endsWith(".markdown") || n.endsWith(".txt");
    }
}
