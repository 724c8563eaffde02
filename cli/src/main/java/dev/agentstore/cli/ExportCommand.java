package dev.agentstore.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pgvector.PGvector;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/**
 * {@code agentstore export}: writes data as JSON Lines, one object per line with a {@code type} field, streamed from
 * a server-side cursor (never loaded whole). This build exports {@code chunk} lines (knowledge chunks with their
 * vectors); records, memories, templates and configurations follow when their repositories are in the build.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export knowledge chunks as JSON Lines (streamed), for `agentstore import` into another store.")
public final class ExportCommand implements Callable<Integer> {

    private static final String CHUNKS = """
            SELECT kb, document_id, ordinal, title, heading, content, content_hash, embedding::text
            FROM cli_chunks WHERE (?::text IS NULL OR kb = ?) ORDER BY kb, document_id, ordinal
            """;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Option(names = "--kb", description = "Only this knowledge base (default: all).")
    String kb;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
    Path output;

    ExportCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
            Knowledge.chunkStore(store).ensureBase(kb == null ? Knowledge.DEFAULT_KB : kb, 384);
            Writer w = output == null
                    ? new BufferedWriter(new OutputStreamWriter(ctx.out(), StandardCharsets.UTF_8))
                    : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
            long lines = 0;
            try (Connection c = store.dataSource().getConnection()) {
                c.setAutoCommit(false); // a cursor: rows are fetched 500 at a time
                try (PreparedStatement ps = c.prepareStatement(CHUNKS)) {
                    ps.setFetchSize(500);
                    ps.setString(1, kb);
                    ps.setString(2, kb);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ObjectNode line = MAPPER.createObjectNode();
                            line.put("type", "chunk");
                            line.put("kb", rs.getString(1));
                            line.put("document", rs.getString(2));
                            line.put("ordinal", rs.getInt(3));
                            line.put("title", rs.getString(4));
                            line.put("heading", rs.getString(5));
                            line.put("content", rs.getString(6));
                            line.put("contentHash", rs.getString(7));
                            ArrayNode emb = line.putArray("embedding");
                            for (float f : new PGvector(rs.getString(8)).toArray()) {
                                emb.add(f);
                            }
                            w.write(MAPPER.writeValueAsString(line));
                            w.write('\n');
                            lines++;
                        }
                    }
                }
                c.commit();
            } catch (SQLException e) {
                throw new CliException(ExitCodes.FAILURE, "export failed: " + e.getMessage(), null, e);
            } finally {
                w.flush();
                if (output != null) {
                    w.close();
                }
            }
            ctx.err().println("exported " + lines + " line(s)" + (output == null ? "" : " to " + output));
            return ExitCodes.OK;
        }
    }
}
