package dev.agentstore.domain.observability;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A whole trace: its spans as a tree in start order. {@link #spans()} lists them depth first: the root, then each
 * child after its parent, siblings by start time (then span id); a span whose parent is not stored (a partial trace)
 * is listed as a further root, in start order. Read in light form ({@link #light()}), the spans carry no input,
 * output, attributes or metadata. Immutable.
 *
 * @param traceId the trace's id, 32 lower-case hex digits
 * @param spans   the spans in tree order, never empty
 * @param light   whether the spans were read in light form
 */
public record Trace(String traceId, List<Span> spans, boolean light) {

    /** Start time, then span id (unsigned, as the hex ids sort). */
    private static final Comparator<Span> START_ORDER = Comparator.comparing(Span::startedAt)
            .thenComparing((a, b) -> Long.compareUnsigned(a.spanKey(), b.spanKey()));

    /**
     * @param traceId the trace's id
     * @param spans   the spans in tree order (copied)
     */
    public Trace {
        spans = List.copyOf(spans);
    }

    /**
     * Orders a trace's spans as a tree (see the class comment).
     *
     * @param traceId the trace's id
     * @param spans   its spans in any order
     * @param light   whether they were read in light form
     * @return the trace
     */
    public static Trace of(String traceId, List<Span> spans, boolean light) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.sort(START_ORDER);
        Set<Long> ids = new HashSet<>();
        for (Span s : sorted) {
            ids.add(s.spanKey());
        }
        Map<Long, List<Span>> children = new HashMap<>();
        List<Span> roots = new ArrayList<>();
        for (Span s : sorted) {
            Long parent = s.parentKey();
            if (parent == null || !ids.contains(parent) || parent == s.spanKey()) {
                roots.add(s);
            } else {
                children.computeIfAbsent(parent, k -> new ArrayList<>()).add(s);
            }
        }
        List<Span> ordered = new ArrayList<>(sorted.size());
        Set<Span> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Span root : roots) {
            walk(root, children, ordered, visited);
        }
        for (Span s : sorted) { // cycles among non-roots: never reachable from a root, listed in start order
            if (visited.add(s)) {
                ordered.add(s);
            }
        }
        return new Trace(traceId, ordered, light);
    }

    private static void walk(Span start, Map<Long, List<Span>> children, List<Span> out, Set<Span> visited) {
        ArrayList<Span> stack = new ArrayList<>();
        stack.add(start);
        while (!stack.isEmpty()) {
            Span s = stack.remove(stack.size() - 1);
            if (!visited.add(s)) {
                continue;
            }
            out.add(s);
            List<Span> kids = children.getOrDefault(s.spanKey(), List.of());
            for (int i = kids.size() - 1; i >= 0; i--) {
                stack.add(kids.get(i));
            }
        }
    }

    /** @return the first root span (the trace's root when the trace is whole) */
    public Span root() {
        return spans.get(0);
    }

    /**
     * @param spanId a span's id
     * @return its children in start order; empty when it has none or is not in the trace
     */
    public List<Span> children(String spanId) {
        return spans.stream().filter(s -> spanId.equals(s.parentSpanId())).toList();
    }
}
