package dev.agentstore.cli;

import dev.agentstore.cli.embed.MiniLmEmbedder;
import dev.agentstore.domain.knowledge.Embedder;

import java.io.PrintStream;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the commands get from outside: output streams, the environment and the embedder. Tests pass their own (a
 * captured output, a fake embedder); {@link #system()} is the real one.
 *
 * @param out      standard output (results)
 * @param err      standard error (progress, errors)
 * @param env      environment variables ({@code AGENTSTORE_DB_*}, {@code AGENTSTORE_CORPUS_DIR})
 * @param embedder creates the embedder on first use
 */
public record CliContext(PrintStream out, PrintStream err, Map<String, String> env, Supplier<Embedder> embedder) {

    /** @return the process's streams and environment, with the in-process MiniLM embedder */
    public static CliContext system() {
        return new CliContext(System.out, System.err, System.getenv(),
                () -> new MiniLmEmbedder(Math.max(1, Runtime.getRuntime().availableProcessors())));
    }
}
