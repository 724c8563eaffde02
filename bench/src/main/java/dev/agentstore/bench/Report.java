package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the run's outputs: {@code latest.jsonl} (warm-up and measured lines), {@code latest.md} (the table:
 * agentstore beside its raw-JDBC baseline, the ratio, checks, machine) and {@code latest.png} (throughput and p99
 * per phase, agentstore vs raw JDBC, log scale).
 */
final class Report {

    /** Fields shown in the notes column when present. */
    private static final List<String> NOTES = List.of("create_ops_per_s", "create_p99_ms", "lost_updates",
            "rejected_after_retries", "acked_but_lost", "update_attempts", "distinct_values", "expired_by_ttl",
            "batch", "recall_at_10", "ef_search", "short_results", "maintenance_work_mem", "upsert_seconds",
            "copy_seconds", "build_seconds", "vectors", "offered_per_s", "achieved_per_s", "append_p99_ms",
            "oldest_xact_ms_max",
            "client_cpu_us_per_call", "heap_peak_mb", "ops_per_s_runs");

    private final Options options;
    private final Map<String, Object> machine;
    private final List<Result> warm;
    private final List<Result> passes;
    private final List<Result> measured;
    private final Map<String, String> pending;

    /**
     * @param passes   with {@code --repeat}: every measured pass's lines (with {@code repeat}); else empty
     * @param measured one line per phase: the run's, or the median pass's
     */
    Report(Options options, Map<String, Object> machine, List<Result> warm, List<Result> passes,
           List<Result> measured, Map<String, String> pending) {
        this.options = options;
        this.machine = machine;
        this.warm = warm;
        this.passes = passes;
        this.measured = measured;
        this.pending = pending;
    }

    /**
     * Re-renders {@code latest.md} and {@code latest.png} from a JSON-lines file this harness wrote.
     *
     * @param jsonl the file
     * @param dir   where to write
     * @throws IOException when a file cannot be read or written
     */
    static void render(Path jsonl, Path dir) throws IOException {
        Options o = new Options();
        Map<String, Object> machine = new LinkedHashMap<>();
        List<Result> warm = new ArrayList<>();
        List<Result> passes = new ArrayList<>();
        List<Result> measured = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            if (line.isBlank()) {
                continue;
            }
            com.fasterxml.jackson.databind.node.ObjectNode n =
                    (com.fasterxml.jackson.databind.node.ObjectNode) Result.MAPPER.readTree(line);
            if ("meta".equals(n.path("workload").asText())) {
                o.scale = n.path("scale").asDouble(1);
                o.seed = n.path("seed").asLong(42);
                o.pool = n.path("pool").asInt(16);
                o.repeat = n.path("repeat").asInt(1);
                if (n.hasNonNull("workloads")) {
                    o.workloads = new ArrayList<>(List.of(n.get("workloads").asText().split(",")));
                }
                n.fields().forEachRemaining(e -> {
                    if (!Set.of("system", "workload", "scale", "seed", "pool", "repeat", "workloads").contains(e.getKey())) {
                        machine.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue());
                    }
                });
                continue;
            }
            Result r = new Result(n.path("workload").asText());
            r.json.setAll(n);
            (n.path("warmup").asBoolean(false) ? warm : n.has("repeat") ? passes : measured).add(r);
        }
        Map<String, String> pending = new LinkedHashMap<>();
        for (Workload w : BenchMain.all()) {
            boolean ran = measured.stream().anyMatch(r -> r.workload().equals(w.id()) || r.workload().startsWith(w.id() + "."));
            if (w instanceof PendingWorkload p && !ran) {
                pending.put(p.id(), p.reason());
            }
        }
        new Report(o, machine, warm, passes, measured, pending).write(dir);
    }

    void write(Path dir) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        com.fasterxml.jackson.databind.node.ObjectNode meta = Result.MAPPER.createObjectNode();
        meta.put("system", "agentstore").put("workload", "meta");
        meta.setAll(Result.MAPPER.<com.fasterxml.jackson.databind.node.ObjectNode>valueToTree(machine));
        meta.put("scale", options.scale).put("seed", options.seed).put("pool", options.pool)
                .put("repeat", options.repeat).put("workloads", String.join(",", options.workloads));
        jsonl.append(meta).append('\n');
        for (Result r : warm) {
            jsonl.append(r).append('\n');
        }
        for (Result r : passes) {
            jsonl.append(r).append('\n');
        }
        for (Result r : measured) {
            jsonl.append(r).append('\n');
        }
        String tag = String.format(Locale.ROOT, "scale%s", trim(options.scale));
        Files.writeString(dir.resolve("latest.jsonl"), jsonl);
        Files.writeString(dir.resolve("run-" + tag + ".jsonl"), jsonl);
        String md = markdown();
        Files.writeString(dir.resolve("latest.md"), md);
        Files.writeString(dir.resolve("run-" + tag + ".md"), md);
        chart(dir.resolve("latest.png"));
        annChart(dir.resolve("ann.png"));
    }

    /** Recall@10 against queries/s, one point per ef_search, when the run measured ANN. */
    void annChart(Path file) throws IOException {
        List<Double> recall = new ArrayList<>();
        List<Double> qps = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Result r : measured) {
            if (r.workload().startsWith("ANN.ef") || r.workload().startsWith("W8.query")) {
                if (r.json.has("recall_at_10") && r.workload().startsWith("ANN.ef")) {
                    recall.add(r.json.path("recall_at_10").asDouble());
                    qps.add(r.json.path("ops_per_s").asDouble());
                    labels.add("ef " + r.json.path("ef_search").asText());
                }
            }
        }
        if (recall.isEmpty()) {
            return;
        }
        org.knowm.xchart.XYChart c = new org.knowm.xchart.XYChartBuilder().width(800).height(500)
                .title("fashion-mnist-784 (L2), HNSW m=16 ef_construction=64: recall@10 vs queries/s")
                .xAxisTitle("recall@10").yAxisTitle("queries/s (1 client)").build();
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setLegendVisible(false);
        c.addSeries("pgvector HNSW", recall, qps);
        c.getStyler().setToolTipsEnabled(false);
        BitmapEncoder.saveBitmap(c, file.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }

    private Map<String, JsonNode> byName() {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        for (Result r : measured) {
            m.put(r.workload(), r.json);
        }
        return m;
    }

    /** @return agentstore phases paired with their baseline ({@code X} and {@code X.jdbc}); baseline-only rows too */
    private List<String[]> rows() {
        Map<String, JsonNode> m = byName();
        List<String[]> rows = new ArrayList<>();
        for (String name : m.keySet()) {
            if (name.endsWith(".jdbc")) {
                String api = name.substring(0, name.length() - 5);
                if (!m.containsKey(api)) {
                    rows.add(new String[]{null, name});
                }
            } else if (isBaselineOnly(name)) {
                rows.add(new String[]{null, name});
            } else {
                rows.add(new String[]{name, m.containsKey(name + ".jdbc") ? name + ".jdbc" : null});
            }
        }
        return rows;
    }

    private static boolean isBaselineOnly(String name) {
        return Set.of("W1.copy", "W1.jdbcbatch", "W8.copy", "W9.ingest.unnest").contains(name) || name.startsWith("ANN.");
    }

    String markdown() {
        Map<String, JsonNode> m = byName();
        StringBuilder s = new StringBuilder();
        s.append("# agentstore benchmark: latest run\n\n");
        s.append(String.format(Locale.ROOT, "Scale %s, seed %d, pool %d, workloads %s. Generated by "
                + "`bin/agentstore-bench`; workloads as in `shared/bench/WORKLOADS.md`. ops/s = ops / seconds of the "
                + "measured loop; p50/p99 = nearest-rank per-call latency in ms. ratio = agentstore ops/s ÷ raw-JDBC "
                + "ops/s; p50 ratio = raw-JDBC p50 ÷ agentstore p50 (both: below 1 = agentstore slower; same run, same "
                + "pool size, same schema, each phase from the same empty state). On a loaded machine the p50 ratio "
                + "is the steadier of the two.%n%n",
                trim(options.scale), options.seed, options.pool, String.join(",", options.workloads)));
        if (options.repeat > 1) {
            s.append(String.format(Locale.ROOT, "The measured pass ran %d times in a row; each row is the phase's "
                    + "median pass by ops/s (its own latencies and checks), and `ops_per_s_runs` lists every pass's "
                    + "ops/s. agentstore and raw JDBC are each their own median.%n%n", options.repeat));
        }
        s.append("| phase | agentstore ops/s | p50 ms | p99 ms | raw JDBC ops/s | p50 ms | p99 ms | ratio | p50 ratio | check | notes |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for (String[] row : rows()) {
            JsonNode a = row[0] == null ? null : m.get(row[0]);
            JsonNode j = row[1] == null ? null : m.get(row[1]);
            String name = row[0] != null ? row[0] : row[1];
            String ratio = a != null && j != null
                    ? String.format(Locale.ROOT, "%.2f", a.path("ops_per_s").asDouble() / j.path("ops_per_s").asDouble())
                    : "";
            String p50Ratio = a != null && j != null && a.path("p50_ms").asDouble() > 0
                    ? String.format(Locale.ROOT, "%.2f", j.path("p50_ms").asDouble() / a.path("p50_ms").asDouble())
                    : "";
            String check = (a == null ? "" : a.path("check").asText()) + (a != null && j != null ? " / " : "")
                    + (j == null ? "" : j.path("check").asText());
            s.append("| ").append(name).append(" | ")
                    .append(num(a, "ops_per_s")).append(" | ").append(num(a, "p50_ms")).append(" | ")
                    .append(num(a, "p99_ms")).append(" | ")
                    .append(num(j, "ops_per_s")).append(" | ").append(num(j, "p50_ms")).append(" | ")
                    .append(num(j, "p99_ms")).append(" | ").append(ratio).append(" | ").append(p50Ratio).append(" | ").append(check).append(" | ")
                    .append(notes(a, j)).append(" |\n");
        }
        for (Map.Entry<String, String> p : pending.entrySet()) {
            s.append("| ").append(p.getKey()).append(" | pending |  |  |  |  |  |  |  |  | ").append(p.getValue())
                    .append(" |\n");
        }
        s.append("\n![throughput and p99 per phase](latest.png)\n");
        if (measured.stream().anyMatch(r -> r.workload().startsWith("ANN.ef"))) {
            s.append("\n![fashion-mnist recall/QPS](ann.png)\n");
        }
        s.append("\n## Machine\n\n");
        for (Map.Entry<String, Object> e : machine.entrySet()) {
            s.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        if (!warm.isEmpty()) {
            s.append(String.format(Locale.ROOT, "%nA warm-up pass at scale %s ran first (same code paths, same "
                    + "schema, tables emptied afterwards); its lines are in `latest.jsonl` with `\"warmup\":true` and "
                    + "are not in this table.%n", trim(options.warmupScale())));
        }
        return s.toString();
    }

    private static String notes(JsonNode a, JsonNode j) {
        List<String> parts = new ArrayList<>();
        for (JsonNode n : new JsonNode[]{a, j}) {
            if (n == null) {
                continue;
            }
            List<String> p = new ArrayList<>();
            for (String f : NOTES) {
                if (n.has(f) && n.get(f).isArray()) {
                    List<String> values = new ArrayList<>();
                    n.get(f).forEach(v -> values.add(String.format(Locale.ROOT, "%.0f", v.asDouble())));
                    p.add(f + "=" + String.join("/", values));
                } else if (n.has(f) && !n.get(f).isNull()) {
                    p.add(f + "=" + n.get(f).asText());
                }
            }
            if (!p.isEmpty()) {
                parts.add((n == a ? "agentstore: " : "jdbc: ") + String.join(", ", p));
            }
        }
        return String.join("; ", parts);
    }

    private static String num(JsonNode n, String field) {
        if (n == null || !n.has(field) || n.get(field).isNull()) {
            return "";
        }
        double v = n.get(field).asDouble();
        return field.equals("ops_per_s") ? String.format(Locale.ROOT, "%,.0f", v)
                : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    void chart(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, JsonNode> m = byName();
        List<String> names = new ArrayList<>();
        List<Double> apiOps = new ArrayList<>();
        List<Double> rawOps = new ArrayList<>();
        List<Double> apiP99 = new ArrayList<>();
        List<Double> rawP99 = new ArrayList<>();
        for (String[] row : rows()) {
            if (row[0] == null || row[1] == null) {
                continue;
            }
            names.add(row[0]);
            apiOps.add(m.get(row[0]).path("ops_per_s").asDouble());
            rawOps.add(m.get(row[1]).path("ops_per_s").asDouble());
            apiP99.add(Math.max(0.001, m.get(row[0]).path("p99_ms").asDouble()));
            rawP99.add(Math.max(0.001, m.get(row[1]).path("p99_ms").asDouble()));
        }
        if (names.isEmpty()) {
            return;
        }
        CategoryChart ops = chart("Throughput (ops/s, log scale), scale " + trim(options.scale), "ops/s");
        ops.addSeries("agentstore", names, apiOps);
        ops.addSeries("raw JDBC", names, rawOps);
        CategoryChart p99 = chart("p99 latency per call (ms, log scale)", "ms");
        p99.addSeries("agentstore", names, apiP99);
        p99.addSeries("raw JDBC", names, rawP99);
        BitmapEncoder.saveBitmap(List.of(ops, p99), 2, 1, file.toString().replaceAll("\\.png$", ""),
                BitmapEncoder.BitmapFormat.PNG);
    }

    private static CategoryChart chart(String title, String yTitle) {
        CategoryChart c = new CategoryChartBuilder().width(1100).height(420).title(title).yAxisTitle(yTitle).build();
        c.getStyler().setYAxisLogarithmic(true);
        // bars start at 0, which a logarithmic axis cannot show: markers joined by no line instead
        c.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(11);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return c;
    }
}
