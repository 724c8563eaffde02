package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.persistence.support.PageRequest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * W7: conversation memory. 100 threads x 100 messages, one {@code saveMessages} call per message ({@code W7.save}),
 * then 1,000 reads of the last 20 messages of a random thread, newest first ({@code W7.read},
 * {@code listMessages} without the total); the batch form saves a thread's 100 messages in one
 * call ({@code W7.batch}).
 */
final class MemoryWorkload implements Workload {

    static final int MESSAGES = 100;
    static final int WINDOW = 20;
    static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z").plusMillis(1_000_000);

    static final String SAVE_ONE = """
            WITH alloc AS (
                UPDATE memories SET last_seq = last_seq + 1, updated_at = ?, version = version + 1
                 WHERE id = ?
                RETURNING last_seq)
            INSERT INTO memory_messages (id, memory_id, seq, role, content, resource_id, created_at)
            SELECT ?, ?, alloc.last_seq, ?, CAST(? AS jsonb), ?, ? FROM alloc
            RETURNING seq
            """;

    static final String LAST = """
            SELECT id, memory_id, seq, role, CAST(content AS text), resource_id, created_at
              FROM memory_messages
             WHERE memory_id = ? AND resource_id = ?
             ORDER BY seq DESC
             LIMIT ?
            """;

    @Override
    public String id() {
        return "W7";
    }

    static String thread(int t) {
        return "thread-" + Generators.pad6(t);
    }

    static String resource(int t) {
        return "user-" + (t % 10);
    }

    static JsonNode content(String text) {
        ObjectNode c = Json.object();
        c.put("format", 2);
        c.putArray("parts").addObject().put("type", "text").put("text", text);
        return c;
    }

    /** One message as the spec draws it (stream 7, thread by thread). */
    record Msg(String threadId, String resourceId, String id, MessageRole role, Instant createdAt, String text) {
        NewMessage toNew() {
            return NewMessage.of(id, role, content(text)).createdAt(createdAt).resourceId(resourceId);
        }
    }

    static Msg msg(Mulberry32 rng, int t, int m) {
        String threadId = thread(t);
        return new Msg(threadId, resource(t), threadId + "-m" + Generators.pad3(m),
                m % 2 == 0 ? MessageRole.USER : MessageRole.ASSISTANT,
                BASE.plusMillis(t * 1000L + m * 10L), rng.randText(280));
    }

    @Override
    public void run(Bench b) throws Exception {
        int threads = b.scaled(100);
        int reads = b.scaled(1000);
        if (b.options.phase("W7.save") || b.options.phase("W7.read")) {
            setUp(b, threads);
            Mulberry32 rng = Mulberry32.stream(b.seed(), 7);
            Latencies lat = new Latencies(threads * MESSAGES);
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                for (int m = 0; m < MESSAGES; m++) {
                    Msg msg = msg(rng, t, m);
                    NewMessage nm = msg.toNew();
                    long t0 = System.nanoTime();
                    b.store.memories().saveMessages(msg.threadId(), List.of(nm));
                    lat.add(System.nanoTime() - t0);
                }
            }
            long nanos = System.nanoTime() - start;
            b.emit(checkRows(b, threads, new Result("W7.save").timing((long) threads * MESSAGES, nanos, lat)));
            b.sql("ANALYZE memory_messages");
            readPhase(b, "W7.read", threads, reads, rng, (threadId, resourceId) -> {
                List<MemoryMessage> page = b.store.memories().listMessages(
                        MessageQuery.of(threadId).withResourceId(resourceId).orderedBy(SortDirection.DESC),
                        PageRequest.of(0, WINDOW), false).page().items();
                List<String> ids = new ArrayList<>(page.size());
                for (MemoryMessage mm : page) {
                    ids.add(mm.id());
                }
                return ids;
            });
            if (b.options.phase("W7.read_last")) {
                // the same reads through lastMessages (one statement, no count): continues a fresh stream 7 the same way
                Mulberry32 again = Mulberry32.stream(b.seed(), 7);
                for (int i = 0; i < threads * MESSAGES; i++) {
                    again.randText(280);
                }
                readPhase(b, "W7.read_last", threads, reads, again, (threadId, resourceId) -> {
                    List<MemoryMessage> last = b.store.memories().lastMessages(threadId, WINDOW);
                    List<String> ids = new ArrayList<>(last.size());
                    for (int k = last.size() - 1; k >= 0; k--) {
                        ids.add(last.get(k).id());
                    }
                    return ids;
                });
            }
        }
        if (b.options.phase("W7.save.jdbc") || b.options.phase("W7.read.jdbc")) {
            setUp(b, threads);
            Mulberry32 rng = Mulberry32.stream(b.seed(), 7);
            Latencies lat = new Latencies(threads * MESSAGES);
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                for (int m = 0; m < MESSAGES; m++) {
                    Msg msg = msg(rng, t, m);
                    String content = Json.print(content(msg.text()));
                    long t0 = System.nanoTime();
                    try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(SAVE_ONE)) {
                        ps.setObject(1, OffsetDateTime.now(ZoneOffset.UTC));
                        ps.setString(2, msg.threadId());
                        ps.setString(3, msg.id());
                        ps.setString(4, msg.threadId());
                        ps.setString(5, msg.role().name());
                        ps.setString(6, content);
                        ps.setString(7, msg.resourceId());
                        ps.setObject(8, msg.createdAt().atOffset(ZoneOffset.UTC));
                        RunWorkloads.requireRow(ps, msg.id());
                    }
                    lat.add(System.nanoTime() - t0);
                }
            }
            long nanos = System.nanoTime() - start;
            b.emit(checkRows(b, threads, new Result("W7.save.jdbc").timing((long) threads * MESSAGES, nanos, lat)));
            b.sql("ANALYZE memory_messages");
            readPhase(b, "W7.read.jdbc", threads, reads, rng, (threadId, resourceId) -> {
                List<String> ids = new ArrayList<>(WINDOW);
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(LAST)) {
                    ps.setString(1, threadId);
                    ps.setString(2, resourceId);
                    ps.setInt(3, WINDOW);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                            Json.MAPPER.readTree(rs.getString(5));
                            rs.getObject(7, OffsetDateTime.class);
                        }
                    }
                }
                return ids;
            });
        }
        if (b.options.phase("W7.batch")) {
            setUp(b, threads);
            Mulberry32 rng = Mulberry32.stream(b.seed(), 7);
            Latencies lat = new Latencies(threads);
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                List<NewMessage> batch = new ArrayList<>(MESSAGES);
                for (int m = 0; m < MESSAGES; m++) {
                    batch.add(msg(rng, t, m).toNew());
                }
                String threadId = thread(t);
                long t0 = System.nanoTime();
                b.store.memories().saveMessages(threadId, batch);
                lat.add(System.nanoTime() - t0);
            }
            long nanos = System.nanoTime() - start;
            b.emit(checkRows(b, threads, new Result("W7.batch").timing((long) threads * MESSAGES, nanos, lat)
                    .put("batch", MESSAGES)));
        }
    }

    static void setUp(Bench b, int threads) {
        b.truncate("memory_messages", "memories");
        b.store.inTransaction(uow -> {
            for (int t = 0; t < threads; t++) {
                uow.memories().saveThread(thread(t), resource(t), null, null);
            }
        });
    }

    static Result checkRows(Bench b, int threads, Result r) {
        long rows = b.queryLong("SELECT count(*) FROM memory_messages");
        return r.put("rows", rows).check(rows == (long) threads * MESSAGES ? null
                : rows + " rows, expected " + (long) threads * MESSAGES);
    }

    interface Read {
        List<String> ids(String threadId, String resourceId) throws Exception;
    }

    /** The reads continue stream 7 after the messages' texts. */
    static void readPhase(Bench b, String name, int threads, int reads, Mulberry32 rng, Read read) throws Exception {
        Latencies lat = new Latencies(reads);
        int bad = 0;
        long start = System.nanoTime();
        for (int i = 0; i < reads; i++) {
            int t = rng.randInt(threads);
            long t0 = System.nanoTime();
            List<String> ids = read.ids(thread(t), resource(t));
            lat.add(System.nanoTime() - t0);
            boolean ok = ids.size() == WINDOW;
            for (int k = 0; ok && k < WINDOW; k++) {
                ok = ids.get(k).equals(thread(t) + "-m" + Generators.pad3(MESSAGES - 1 - k));
            }
            if (!ok) {
                bad++;
            }
        }
        long nanos = System.nanoTime() - start;
        b.emit(new Result(name).timing(reads, nanos, lat)
                .check(bad == 0 ? null : bad + " reads did not return m99..m80"));
    }
}
