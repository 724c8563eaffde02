package dev.agentstore.cli.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Cuts a document into chunks of about {@code targetChars} characters on section and paragraph boundaries. A chunk
 * never spans two sections; inside a section, consecutive paragraphs fill a chunk, and the next chunk starts with
 * the last {@code overlapChars} characters (at a word boundary) of the previous one, so a passage cut at a boundary
 * is still found whole. A section shorter than {@value #MIN_SECTION} characters is not a chunk of its own: it is carried,
 * with its heading, into the first chunk of the next section (or, for the last section, emitted as it is). A paragraph longer than the target is cut at sentence ends, or else at spaces.
 * Every chunk's text begins with a context line {@code title — heading}, which is embedded with it.
 */
public final class Chunker {

    /** Default chunk size, in characters. */
    public static final int DEFAULT_TARGET = 800;
    /** Default overlap, in characters. */
    public static final int DEFAULT_OVERLAP = 150;
    /** Sections shorter than this (characters) are merged into the next section. */
    public static final int MIN_SECTION = 250;

    private final int targetChars;
    private final int overlapChars;

    /** A chunker with {@value #DEFAULT_TARGET} characters and {@value #DEFAULT_OVERLAP} of overlap. */
    public Chunker() {
        this(DEFAULT_TARGET, DEFAULT_OVERLAP);
    }

    /**
     * @param targetChars  the chunk size to aim for, in characters; at least 100
     * @param overlapChars the overlap between consecutive chunks of a section; 0 to less than half the target
     * @throws IllegalArgumentException when the sizes are out of range
     */
    public Chunker(int targetChars, int overlapChars) {
        if (targetChars < 100 || overlapChars < 0 || overlapChars * 2 >= targetChars) {
            throw new IllegalArgumentException("chunk size must be >= 100 and overlap in [0, size/2), were "
                    + targetChars + " and " + overlapChars);
        }
        this.targetChars = targetChars;
        this.overlapChars = overlapChars;
    }

    /**
     * @param doc an extracted document
     * @return its chunks, ordinals from 0
     */
    public List<Chunk> chunk(SourceDocument doc) {
        List<Chunk> out = new ArrayList<>();
        List<String> section = new ArrayList<>();
        List<String> carried = new ArrayList<>();
        String heading = null;
        for (Block b : doc.blocks()) {
            if (heading != null && !Objects.equals(heading, b.heading())) {
                int length = section.stream().mapToInt(String::length).sum();
                if (length < MIN_SECTION) {
                    // too small to stand alone: goes, with its heading, into the next section's first chunk
                    carried.add(heading.equals(doc.title()) ? String.join("\n", section)
                            : heading + "\n" + String.join("\n", section));
                } else {
                    emitSection(doc, heading, concat(carried, section), out);
                    carried.clear();
                }
                section.clear();
            }
            heading = b.heading();
            section.add(b.text());
        }
        if (heading != null) {
            emitSection(doc, heading, concat(carried, section), out);
        }
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private void emitSection(SourceDocument doc, String heading, List<String> paragraphs, List<Chunk> out) {
        List<String> pieces = new ArrayList<>();
        for (String p : paragraphs) {
            split(p, pieces);
        }
        StringBuilder current = new StringBuilder();
        boolean fresh = false; // has the current chunk text beyond the carried-over overlap?
        for (String piece : pieces) {
            if (fresh && current.length() + 1 + piece.length() > targetChars) {
                emit(doc, heading, current.toString(), out);
                String tail = tail(current.toString());
                current.setLength(0);
                current.append(tail);
                fresh = false;
            }
            if (!current.isEmpty()) {
                current.append('\n');
            }
            current.append(piece);
            fresh = true;
        }
        if (fresh) {
            emit(doc, heading, current.toString(), out);
        }
    }

    private void emit(SourceDocument doc, String heading, String body, List<Chunk> out) {
        String context = heading.equals(doc.title()) ? doc.title() : doc.title() + " — " + heading;
        String content = context + "\n" + body.strip();
        out.add(new Chunk(doc.id(), out.size(), doc.title(), heading, content, Chunk.sha256(content)));
    }

    /** The last {@code overlapChars} characters of {@code text}, starting at a word. */
    private String tail(String text) {
        if (overlapChars == 0 || text.length() <= overlapChars) {
            return overlapChars == 0 ? "" : text;
        }
        int from = text.length() - overlapChars;
        int space = text.indexOf(' ', from);
        return space < 0 ? text.substring(from) : text.substring(space + 1);
    }

    /** Cuts a paragraph longer than the target at sentence ends, else at spaces. */
    private void split(String paragraph, List<String> out) {
        String rest = paragraph;
        while (rest.length() > targetChars) {
            int cut = lastBoundary(rest, ". ", targetChars);
            if (cut < targetChars / 3) {
                cut = lastBoundary(rest, " ", targetChars);
            }
            if (cut < targetChars / 3) {
                cut = targetChars;
            }
            out.add(rest.substring(0, cut).strip());
            rest = rest.substring(cut).strip();
        }
        if (!rest.isBlank()) {
            out.add(rest);
        }
    }

    private static int lastBoundary(String s, String sep, int max) {
        int i = s.lastIndexOf(sep, max - sep.length());
        return i < 0 ? -1 : i + sep.length();
    }
}
