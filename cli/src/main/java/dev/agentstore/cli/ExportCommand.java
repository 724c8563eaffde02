package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code agentstore export}: writes data as JSON Lines, one object per line with a {@code type} field
 * ({@code record}, {@code template}, {@code configuration}, {@code memory} (a thread), {@code message}, {@code chunk}), streamed from server-side cursors (500 rows
 * at a time, never loaded whole), in a stable order (templates and configurations by identifier and revision, so an
 * import replays their history in order). A type whose table is not in the schema is skipped.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export records, templates, configurations, memories (threads and messages) and knowledge chunks as JSON Lines (streamed).")
public final class ExportCommand implements Callable<Integer> {

    /** The exportable types and the SQL that streams each (no user values besides the bound kb). */
    static final Map<String, String> QUERIES = new LinkedHashMap<>();

    static {
        QUERIES.put("record", "SELECT id, data::text, metadata::text FROM records ORDER BY id");
        QUERIES.put("template", "SELECT identifier, revision, description, content, variables::text, meta::text"
                + " FROM templates ORDER BY identifier, revision");
        QUERIES.put("configuration", "SELECT identifier, revision, content::text FROM configurations"
                + " ORDER BY identifier, revision");
        QUERIES.put("memory", "SELECT id, resource_id, title, metadata::text FROM memories ORDER BY id");
        QUERIES.put("message", "SELECT id, memory_id, role, content::text, resource_id, created_at FROM memory_messages"
                + " ORDER BY memory_id, seq");
        QUERIES.put("chunk", "SELECT knowledge_base, document_id, ordinal, payload ->> 'title', payload ->> 'heading',"
                + " content, content_hash, embedding::text FROM chunks WHERE (?::text IS NULL OR knowledge_base = ?)"
                + " ORDER BY knowledge_base, document_id, ordinal");
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Option(names = "--types", split = ",", paramLabel = "TYPE",
            description = "What to export: record, template, configuration, memory, message, chunk (default: all).")
    List<String> types = new ArrayList<>(QUERIES.keySet());

    @Option(names = "--kb", description = "Only the chunks of this knowledge base (default: all).")
    String kb;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
    Path output;

    ExportCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
        for (String t : types) {
            if (!QUERIES.containsKey(t)) {
                throw new CliException(ExitCodes.USAGE, "unknown type '" + t + "'", "use " + String.join(", ", QUERIES.keySet()), null);
            }
        }
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
            Writer w = output == null
                    ? new BufferedWriter(new OutputStreamWriter(ctx.out(), StandardCharsets.UTF_8))
                    : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
            Map<String, Long> counts = new LinkedHashMap<>();
            try (Connection c = store.dataSource().getConnection()) {
                c.setAutoCommit(false); // cursors: rows are fetched 500 at a time
                for (String type : types) {
                    if (!tableExists(c, table(type))) {
                        continue;
                    }
                    counts.put(type, export(c, type, w));
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
            ctx.err().println("exported " + counts + (output == null ? "" : " to " + output));
            return ExitCodes.OK;
        }
    }

    private long export(Connection c, String type, Writer w) throws SQLException, IOException {
        long lines = 0;
        try (PreparedStatement ps = c.prepareStatement(QUERIES.get(type))) {
            ps.setFetchSize(500);
            if (type.equals("chunk")) {
                ps.setString(1, kb);
                ps.setString(2, kb);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode line = MAPPER.createObjectNode();
                    line.put("type", type);
                    switch (type) {
                        case "record" -> {
                            line.put("id", rs.getString(1));
                            line.set("data", json(rs.getString(2)));
                            line.set("metadata", json(rs.getString(3)));
                        }
                        case "template" -> {
                            line.put("identifier", rs.getString(1));
                            line.put("revision", rs.getInt(2));
                            line.put("description", rs.getString(3));
                            line.put("content", rs.getString(4));
                            line.set("variables", json(rs.getString(5)));
                            line.set("meta", json(rs.getString(6)));
                        }
                        case "configuration" -> {
                            line.put("identifier", rs.getString(1));
                            line.put("revision", rs.getInt(2));
                            line.set("content", json(rs.getString(3)));
                        }
                        case "memory" -> {
                            line.put("id", rs.getString(1));
                            line.put("resourceId", rs.getString(2));
                            line.put("title", rs.getString(3));
                            line.set("metadata", json(rs.getString(4)));
                        }
                        case "message" -> {
                            line.put("id", rs.getString(1));
                            line.put("memoryId", rs.getString(2));
                            line.put("role", rs.getString(3));
                            line.set("content", json(rs.getString(4)));
                            line.put("resourceId", rs.getString(5));
                            line.put("createdAt", rs.getTimestamp(6).toInstant().toString());
                        }
                        default -> {
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
                        }
                    }
                    w.write(MAPPER.writeValueAsString(line));
                    w.write('\n');
                    lines++;
                }
            }
        }
        return lines;
    }

    private static String table(String type) {
        return switch (type) {
            case "record" -> "records";
            case "template" -> "templates";
            case "configuration" -> "configurations";
            case "memory" -> "memories";
            case "message" -> "memory_messages";
            default -> "chunks";
        };
    }

    private static boolean tableExists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static JsonNode json(String text) throws IOException {
        return MAPPER.readTree(text);
    }
}
