package dev.agentstore.persistence.record;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(AgentStoreExtension.class)
class RecordGinIndexTest {

    @Test
    void containsFiltersUseTheGinIndexOnData(AgentStore store) {
        for (int batch = 0; batch < 2; batch++) {
            List<NewRecord> records = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                int n = batch * 10_000 + i;
                records.add(NewRecord.of("gin:" + n, Json.parse("d", "{\"n\":" + n + ",\"kind\":\"k" + (n % 500)
                        + "\",\"tags\":[\"t" + (n % 97) + "\"]}")));
            }
            store.inTransaction(uow -> uow.records().createBatch(records));
        }
        // the steady state autovacuum keeps: the GIN pending list merged (a long pending list makes the planner
        // avoid the index) and statistics collected
        store.inTransaction(uow -> {
            uow.entityManager().createNativeQuery("SELECT gin_clean_pending_list('records_data_gin_idx'::regclass)")
                    .getSingleResult();
            uow.entityManager().createNativeQuery("ANALYZE records").executeUpdate();
        });

        Filter filter = Filter.contains("data", Map.of("kind", "k7"));
        String plan = explain(store, filter);
        assertThat(plan).contains("records_data_gin_idx");
        assertThat(explain(store, Filter.contains("data.tags", List.of("t5")))).contains("records_data_gin_idx");
        assertThat(store.<Long>fromTransaction(uow -> uow.records().count(filter))).isEqualTo(40);
        assertThat(store.<List<dev.agentstore.domain.record.Record>>fromTransaction(uow -> uow.records().search(Query.where(filter).limit(100))))
                .hasSize(40).allSatisfy(r -> assertThat(r.data().get("kind").asText()).isEqualTo("k7"));
    }

    private static String explain(AgentStore store, Filter filter) {
        SqlFragment where = new QueryRenderer(RecordRepository.FIELDS).where(filter, ParameterStyle.ORDINAL, 1);
        return store.fromTransaction(uow -> {
            var q = where.bind(uow.entityManager().createNativeQuery("EXPLAIN SELECT r.id FROM records r WHERE "
                    + where.sql()), 1);
            return ((List<?>) q.getResultList()).stream().map(String::valueOf).collect(Collectors.joining("\n"));
        });
    }
}
