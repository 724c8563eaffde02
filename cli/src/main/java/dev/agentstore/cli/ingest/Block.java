package dev.agentstore.cli.ingest;

/**
 * One paragraph-like unit of extracted text (a paragraph, a code listing, a table row, a list item) with the heading
 * of the section it belongs to.
 *
 * @param heading the nearest heading above it; the page title when there is none
 * @param text    the text, whitespace-collapsed except in code listings; not blank
 */
public record Block(String heading, String text) {
}
