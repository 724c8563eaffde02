package dev.agentstore.cli.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * Extracts blocks from Markdown and plain text: paragraphs are separated by blank lines; in Markdown, {@code #}
 * headings start sections and fenced code blocks stay whole.
 */
public final class TextExtractor {

    /**
     * @param id       the document id
     * @param text     the file's text
     * @param markdown whether to recognise Markdown headings and code fences
     * @param fallbackTitle the title when the text has no heading (the file name)
     * @return the document's blocks
     */
    public SourceDocument extract(String id, String text, boolean markdown, String fallbackTitle) {
        List<Block> blocks = new ArrayList<>();
        String title = null;
        String heading = fallbackTitle;
        StringBuilder para = new StringBuilder();
        boolean inFence = false;
        for (String line : text.replace("\r\n", "\n").split("\n", -1)) {
            String trimmed = line.strip();
            if (markdown && trimmed.startsWith("```")) {
                para.append(line).append('\n');
                inFence = !inFence;
                if (!inFence) {
                    add(blocks, heading, para, false);
                }
                continue;
            }
            if (inFence) {
                para.append(line).append('\n');
                continue;
            }
            if (markdown && trimmed.matches("#{1,6}\\s+.*")) {
                add(blocks, heading, para, true);
                heading = trimmed.replaceFirst("^#+\\s+", "").trim();
                if (title == null) {
                    title = heading;
                }
            } else if (trimmed.isEmpty()) {
                add(blocks, heading, para, true);
            } else {
                para.append(line).append('\n');
            }
        }
        add(blocks, heading, para, !inFence);
        return new SourceDocument(id, title == null ? fallbackTitle : title, blocks);
    }

    private static void add(List<Block> blocks, String heading, StringBuilder para, boolean collapse) {
        String t = collapse ? para.toString().replaceAll("\\s+", " ").trim() : para.toString().strip();
        if (!t.isEmpty()) {
            blocks.add(new Block(heading, t));
        }
        para.setLength(0);
    }
}
