package dev.agentstore.persistence.flow;

import dev.agentstore.domain.flow.FlowEventQuery;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The reads assembled at run time bind exactly the parameters their text names; no database needed. */
class FlowEventSqlTest {

    private static final Instant FROM = Instant.parse("2030-01-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2030-01-02T00:00:00Z");
    private static final Pattern PARAMETER = Pattern.compile("(?<!:):([a-zA-Z]+)");

    private static Set<String> parameters(String sql) {
        Set<String> names = new TreeSet<>();
        Matcher m = PARAMETER.matcher(sql);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static List<FlowEventQuery> everyCombination() {
        List<FlowEventQuery> queries = new ArrayList<>();
        for (int mask = 0; mask < 32; mask++) {
            FlowEventQuery q = FlowEventQuery.defaults().limit(7);
            if ((mask & 1) != 0) {
                q = q.types("a", "b");
            }
            q = q.between((mask & 2) != 0 ? FROM : null, (mask & 4) != 0 ? TO : null);
            if ((mask & 8) != 0) {
                q = q.after(42L);
            }
            queries.add((mask & 16) != 0 ? q.descending() : q.ascending());
        }
        return queries;
    }

    @Test
    void aRunReadBindsEveryParameterItsTextNamesAndNoOther() {
        for (FlowEventQuery query : everyCombination()) {
            FlowEventSql.Read read = FlowEventSql.read("run-1", query);

            assertThat(parameters(read.sql())).as(read.sql()).isEqualTo(new TreeSet<>(read.values().keySet()));
            assertThat(read.values()).containsEntry("runId", "run-1").containsEntry("limit", 7);
            assertThat(read.sql()).doesNotContain("run-1").doesNotContain("?")
                    .endsWith(query.order() == FlowEventQuery.Order.ASC
                            ? "ORDER BY e.ts ASC, e.id ASC LIMIT :limit" : "ORDER BY e.ts DESC, e.id DESC LIMIT :limit");
        }
    }

    @Test
    void aCursorComparesInTheReadsDirection() {
        assertThat(FlowEventSql.read("r", FlowEventQuery.defaults().after(5L).ascending()).sql())
                .contains("(e.ts, e.id) > ((SELECT c.ts FROM flow_events c WHERE c.id = :after AND c.run_id = :runId)");
        assertThat(FlowEventSql.read("r", FlowEventQuery.defaults().after(5L).descending()).sql())
                .contains("(e.ts, e.id) < ((SELECT c.ts FROM flow_events c WHERE c.id = :after AND c.run_id = :runId)");
    }

    @Test
    void aFlowReadBindsEveryParameterItsTextNamesAndNoOther() {
        for (Instant from : new Instant[]{null, FROM}) {
            for (Instant to : new Instant[]{null, TO}) {
                FlowEventSql.Read read = FlowEventSql.byFlow("etl", "step.completed", from, to, 3);

                assertThat(parameters(read.sql())).as(read.sql()).isEqualTo(new TreeSet<>(read.values().keySet()));
                assertThat(read.sql()).endsWith("ORDER BY e.ts DESC, e.id DESC LIMIT :limit");
                assertThat(read.values()).containsEntry("flowName", "etl").containsEntry("type", "step.completed")
                        .containsEntry("limit", 3);
            }
        }
    }
}
