package dev.agentstore.cli.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A piece of a document to embed and store.
 *
 * @param documentId  the document id (see {@link SourceDocument#id()})
 * @param ordinal     the position of the chunk in its document, from 0
 * @param title       the document title
 * @param heading     the section heading
 * @param content     the stored and embedded text: a context line ({@code title — heading}) and the passage
 * @param contentHash SHA-256 of {@code content}, hex: a chunk whose hash is already stored is not embedded again
 */
public record Chunk(String documentId, int ordinal, String title, String heading, String content, String contentHash) {

    /**
     * @param text any text
     * @return its SHA-256 as 64 lower-case hex digits
     */
    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
