package dev.agentstore.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON line per workload phase, with the fields of {@code WORKLOADS.md}:
 * {@code {system:"agentstore", workload, ops, seconds, ops_per_s, p50_ms, p99_ms, check, ...}}; {@code check} is
 * {@code "ok"} or a description of what failed. Extra fields follow.
 */
final class Result {

    static final ObjectMapper MAPPER = new ObjectMapper();

    final ObjectNode json = MAPPER.createObjectNode();

    Result(String workload) {
        json.put("system", "agentstore");
        json.put("workload", workload);
    }

    /**
     * @param ops     operations in the measured loop
     * @param nanos   the measured loop's wall time
     * @param latency per-call wall times
     * @return this
     */
    Result timing(long ops, long nanos, Latencies latency) {
        double seconds = nanos / 1e9;
        json.put("ops", ops);
        json.put("seconds", round(seconds, 3));
        json.put("ops_per_s", round(ops / seconds, 1));
        double[] sorted = latency.sortedMillis();
        json.put("p50_ms", sorted.length == 0 ? null : round(Generators.percentile(sorted, 50), 3));
        json.put("p99_ms", sorted.length == 0 ? null : round(Generators.percentile(sorted, 99), 3));
        json.put("check", "ok");
        double cpu = latency.cpuMicrosPerOp();
        if (!Double.isNaN(cpu)) {
            json.put("client_cpu_us_per_call", round(cpu, 1));
        }
        return this;
    }

    Result check(String failure) {
        if (failure != null) {
            String previous = json.path("check").asText("ok");
            json.put("check", "ok".equals(previous) ? failure : previous + "; " + failure);
        }
        return this;
    }

    Result put(String field, Object value) {
        json.set(field, MAPPER.valueToTree(value));
        return this;
    }

    /**
     * The median pass of each phase, for {@code --repeat}: per phase (in the order phases first appear), a copy of
     * the line of the pass whose {@code ops_per_s} is the median (the lower one of the two middle passes for an even
     * count), so that its latency, recall and checks are those of one real pass. The copy drops {@code repeat} and
     * adds {@code repeats} (how many passes) and {@code ops_per_s_runs} (every pass's ops/s, in pass order). A
     * phase whose check failed in any pass keeps that failure in {@code check}.
     *
     * @param passes every pass's lines, each with a {@code repeat} field
     * @return one line per phase
     */
    static List<Result> medians(List<Result> passes) {
        Map<String, List<Result>> byPhase = new LinkedHashMap<>();
        for (Result r : passes) {
            byPhase.computeIfAbsent(r.workload(), k -> new ArrayList<>()).add(r);
        }
        List<Result> out = new ArrayList<>();
        for (List<Result> runs : byPhase.values()) {
            List<Result> sorted = new ArrayList<>(runs);
            sorted.sort(Comparator.comparingDouble(r -> r.json.path("ops_per_s").asDouble()));
            Result chosen = sorted.get((sorted.size() - 1) / 2);
            Result median = new Result(runs.get(0).workload());
            median.json.setAll(chosen.json.deepCopy());
            median.json.remove("repeat");
            median.json.put("repeats", runs.size());
            ArrayNode all = median.json.putArray("ops_per_s_runs");
            for (Result r : runs) {
                all.add(r.json.path("ops_per_s").asDouble());
                String check = r.json.path("check").asText("ok");
                if (r != chosen && !"ok".equals(check)) {
                    median.check("pass " + r.json.path("repeat").asInt() + ": " + check);
                }
            }
            out.add(median);
        }
        return out;
    }

    String workload() {
        return json.path("workload").asText();
    }

    static double round(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
