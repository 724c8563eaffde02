package dev.agentstore.cli.ingest;

import java.util.List;

/**
 * A file's extracted text, ready for chunking.
 *
 * @param id     the document id: the file's path relative to the corpus root, with {@code /} separators
 * @param title  the document title (HTML {@code <title>}, the first Markdown heading, or the file name)
 * @param blocks the text blocks in reading order; empty when the file holds no text
 */
public record SourceDocument(String id, String title, List<Block> blocks) {
}
