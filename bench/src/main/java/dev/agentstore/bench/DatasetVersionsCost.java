package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;

import java.io.Reader;
import java.io.Writer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The storage choice of the datasets (docs/datasets.md): a 10,000-item dataset taken through 100 versions (version 1
 * adds every item; versions 2–100 each update 100 items, delete 5 and add 5), stored as item revisions valid for a
 * range of versions. Prints the rows and bytes of {@code dataset_items}, the time to page through every item (pages
 * of 1,000) and to export as of versions 1, 50 and 100, and, for comparison, the rows and bytes the other design
 * (a copy of every item per version) takes, built from the same data with {@code CREATE TABLE ... AS}.
 * {@code java -cp "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.DatasetVersionsCost}; uses (and
 * drops first) the schema {@code bench_datasets}.
 *
 * <p>With the arguments {@code stream N}, it instead imports N generated items (about 180 bytes each, produced by a
 * {@link Reader} as they are read, never held) with {@code importJsonLines} and exports them with
 * {@code exportJsonLines} to a writer that discards them, printing the time and the heap limit: run it with a heap
 * far smaller than the items (for example {@code -Xmx48m} and N = 300,000, about 55 MB of JSON Lines) to see that
 * neither direction holds the dataset in memory.
 */
public final class DatasetVersionsCost {

    private static final int ITEMS = 10_000;
    private static final int VERSIONS = 100;
    private static final int UPDATES = 100;
    private static final int DELETES = 5;

    private DatasetVersionsCost() {
    }

    /**
     * Prints the measurements (see the class description).
     *
     * @param args none
     * @throws Exception when the database cannot be reached or a statement fails
     */
    public static void main(String[] args) throws Exception {
        String schema = "bench_datasets";
        boolean stream = args.length == 2 && args[0].equals("stream");
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url(System.getenv().getOrDefault("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(System.getenv().getOrDefault("AGENTSTORE_DB_USER", "agentstore"))
                .password(System.getenv().getOrDefault("AGENTSTORE_DB_PASSWORD", "agentstore"))
                .schema(schema).poolMaxSize(2).poolMinIdle(0).build();
        try (AgentStore cleaner = AgentStore.open(config); Connection c = cleaner.dataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        if (stream) {
            stream(config, Integer.parseInt(args[1]));
            return;
        }
        try (AgentStore store = AgentStore.open(config)) {
            store.datasets().create("bench", "bench", null, null);
            List<ItemChange> adds = new ArrayList<>();
            for (int i = 0; i < ITEMS; i++) {
                adds.add(ItemChange.add(id(i), input(i, 0), Json.parse("e", "\"answer " + i + "\""), null));
            }
            long t0 = System.nanoTime();
            store.datasets().apply("bench", adds);
            int next = ITEMS;
            List<Integer> live = new ArrayList<>();
            for (int i = 0; i < ITEMS; i++) {
                live.add(i);
            }
            for (int v = 2; v <= VERSIONS; v++) {
                List<ItemChange> changes = new ArrayList<>();
                for (int k = 0; k < UPDATES; k++) {
                    int item = live.get((v * 97 + k * 89) % live.size());
                    if (changes.stream().noneMatch(c -> c.itemId().equals(id(item)))) {
                        changes.add(ItemChange.update(id(item), input(item, v), null, null));
                    }
                }
                for (int k = 0; k < DELETES; k++) {
                    int pick = live.get((v * 31 + k * 7919) % live.size());
                    if (changes.stream().noneMatch(c -> c.itemId().equals(id(pick)))) {
                        changes.add(ItemChange.delete(id(pick)));
                        live.remove(Integer.valueOf(pick));
                    }
                    changes.add(ItemChange.add(id(next), input(next, v), null, null));
                    live.add(next++);
                }
                store.datasets().apply("bench", changes);
            }
            double writeSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "wrote %d versions in %.1f s%n", VERSIONS, writeSeconds);
            try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("SET search_path TO " + schema);
                s.execute("ANALYZE dataset_items");
                print(s, "ranges (this design)", "dataset_items");
                s.execute("CREATE TABLE copies AS SELECT v.version, i.item_id, i.input, i.expected_output, i.metadata"
                        + " FROM generate_series(1, " + VERSIONS + ") AS v(version) JOIN dataset_items i"
                        + " ON i.valid_from <= v.version AND (i.valid_to IS NULL OR i.valid_to > v.version)");
                s.execute("ALTER TABLE copies ADD PRIMARY KEY (version, item_id)");
                print(s, "copy per version (alternative)", "copies");
                s.execute("DROP TABLE copies");
            }
            for (int version : new int[] {1, VERSIONS / 2, VERSIONS}) {
                for (int round = 0; round < 3; round++) {
                    long start = System.nanoTime();
                    long n = 0;
                    String after = null;
                    List<DatasetItem> page;
                    do {
                        page = store.datasets().items("bench", version, after, 1000);
                        n += page.size();
                        after = page.isEmpty() ? null : page.get(page.size() - 1).itemId();
                    } while (page.size() == 1000);
                    double listMs = (System.nanoTime() - start) / 1e6;
                    start = System.nanoTime();
                    long exported = store.datasets().exportJsonLines("bench", version, Writer.nullWriter());
                    double exportMs = (System.nanoTime() - start) / 1e6;
                    System.out.printf(Locale.ROOT, "version %3d: %d items, keyset pages of 1000 %.0f ms,"
                            + " export %d lines %.0f ms (round %d)%n", version, n, listMs, exported, exportMs, round);
                }
            }
        }
    }

    private static void stream(AgentStoreConfig config, int items) {
        try (AgentStore store = AgentStore.open(config)) {
            store.datasets().create("stream", "stream", null, null);
            long start = System.nanoTime();
            int version = store.datasets().importJsonLines("stream", new GeneratedLines(items)).version();
            double importSeconds = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            long exported = store.datasets().exportJsonLines("stream", version, Writer.nullWriter());
            double exportSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "heap limit %d MB: imported %d items in %.1f s, exported %d in %.1f s%n",
                    Runtime.getRuntime().maxMemory() / 1048576, items, importSeconds, exported, exportSeconds);
        }
    }

    /** JSON Lines made as they are read: item {@code i} is produced when the reader reaches it. */
    private static final class GeneratedLines extends Reader {
        private final int items;
        private int next;
        private String line = "";
        private int pos;

        GeneratedLines(int items) {
            this.items = items;
        }

        @Override
        public int read(char[] buf, int off, int len) {
            if (pos == line.length()) {
                if (next == items) {
                    return -1;
                }
                line = "{\"id\":\"" + id(next) + "\",\"input\":{\"question\":\"What is item " + next
                        + "?\",\"context\":\"" + "x".repeat(80) + "\"},\"expectedOutput\":\"answer " + next
                        + "\"}\n";
                pos = 0;
                next++;
            }
            int n = Math.min(len, line.length() - pos);
            line.getChars(pos, pos + n, buf, off);
            pos += n;
            return n;
        }

        @Override
        public void close() {
        }
    }

    private static String id(int i) {
        return String.format(Locale.ROOT, "item-%06d", i);
    }

    private static JsonNode input(int i, int version) {
        return Json.parse("input", "{\"question\":\"What is item " + i + "?\",\"revision\":" + version + "}");
    }

    private static void print(Statement s, String label, String table) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT count(*), pg_total_relation_size('" + table + "'),"
                + " pg_relation_size('" + table + "') FROM " + table)) {
            rs.next();
            System.out.printf(Locale.ROOT, "%-32s %9d rows %8.1f MB total (%5.1f MB heap)%n", label, rs.getLong(1),
                    rs.getLong(2) / 1048576.0, rs.getLong(3) / 1048576.0);
        }
    }
}
