package dev.agentstore.persistence.partition;

import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.RetentionPolicy.SubjectRule;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The statements {@link PartitionSql} assembles and the gaps {@link PartitionCatalog} computes, without a database. */
class PartitionSqlTest {

    private static final Instant DEC = Instant.parse("2026-12-01T00:00:00Z");
    private static final Instant JAN = Instant.parse("2027-01-01T00:00:00Z");
    private static final Instant FEB = Instant.parse("2027-02-01T00:00:00Z");

    @Nested
    class Names {

        @Test
        void aPartitionIsNamedAfterItsTableAndFirstDayAndAfterItsTimeWhenItStartsOffMidnight() {
            assertThat(PartitionSql.partitionName(PartitionedTable.FLOW_EVENTS, DEC)).isEqualTo("flow_events_p20261201");
            assertThat(PartitionSql.partitionName(PartitionedTable.SPANS, DEC.plusSeconds(3723)))
                    .isEqualTo("spans_p20261201_010203");
        }

        @Test
        void identifiersAreQuotedWithTheirQuotesDoubled() {
            assertThat(PartitionSql.quote("a\"b")).isEqualTo("\"a\"\"b\"");
            assertThat(PartitionSql.drop("tenant", "x")).isEqualTo("DROP TABLE \"tenant\".\"x\"");
        }
    }

    @Nested
    class Statements {

        @Test
        void attachingNamesTheBoundsInIso8601() {
            assertThat(PartitionSql.attach("s", PartitionedTable.TRIGGER_EVENTS, "trigger_events_p20261201", DEC, JAN))
                    .isEqualTo("ALTER TABLE \"s\".\"trigger_events\" ATTACH PARTITION \"s\".\"trigger_events_p20261201\""
                            + " FOR VALUES FROM ('2026-12-01T00:00:00Z') TO ('2027-01-01T00:00:00Z')");
        }

        @Test
        void movingRowsOutOfTheDefaultPartitionBindsTheRange() {
            assertThat(PartitionSql.moveFromDefault("s", "flow_events_default", "flow_events_p20261201",
                    PartitionedTable.FLOW_EVENTS, "\"id\", \"ts\""))
                    .isEqualTo("WITH moved AS (DELETE FROM \"s\".\"flow_events_default\" WHERE \"ts\" >= :from AND"
                            + " \"ts\" < :to RETURNING \"id\", \"ts\") INSERT INTO \"s\".\"flow_events_p20261201\""
                            + " (\"id\", \"ts\") SELECT \"id\", \"ts\" FROM moved");
        }

        @Test
        void aDeleteWithoutRulesComparesWithTheTableCutoffOnly() {
            PartitionSql.Statement delete = PartitionSql.deleteBatch("s", "p", PartitionedTable.SCORES, JAN, JAN,
                    List.of(), List.of(), 500);
            assertThat(delete.sql()).isEqualTo("DELETE FROM \"s\".\"p\" WHERE ctid = ANY (ARRAY(SELECT ctid FROM"
                    + " \"s\".\"p\" WHERE \"created_at\" < :latest AND \"created_at\" < CAST(:tableCutoff AS"
                    + " timestamptz) LIMIT :batchSize))");
            assertThat(delete.values()).containsEntry("batchSize", 500).containsEntry("tableCutoff", JAN);
        }

        @Test
        void aDeleteWithRulesTakesTheEarliestCutoffOfTheMatchingRulesAndBindsEveryValue() {
            PartitionSql.Statement delete = PartitionSql.deleteBatch("s", "p", PartitionedTable.FLOW_EVENTS, FEB, null,
                    List.of(new SubjectRule("flow_name", "x'; DROP TABLE t; --", Duration.ofDays(1)),
                            new SubjectRule("type", "log", Duration.ofDays(2))), List.of(FEB, JAN), 10);
            assertThat(delete.sql()).contains("COALESCE(LEAST(CASE WHEN \"flow_name\" = :value0 THEN CAST(:cutoff0 AS"
                    + " timestamptz) END, CASE WHEN \"type\" = :value1 THEN CAST(:cutoff1 AS timestamptz) END),"
                    + " CAST(:tableCutoff AS timestamptz))").doesNotContain("DROP TABLE t");
            assertThat(delete.values()).containsEntry("value0", "x'; DROP TABLE t; --").containsEntry("cutoff1", JAN)
                    .containsEntry("tableCutoff", null);
        }
    }

    @Nested
    class Gaps {

        private Partition p(Instant from, Instant to) {
            return new Partition(PartitionedTable.FLOW_EVENTS, "p", from, to, false);
        }

        @Test
        void aRangeNoPartitionCoversIsOneGap() {
            assertThat(PartitionCatalog.gaps(List.of(), DEC, JAN)).containsExactly(new Instant[]{DEC, JAN});
        }

        @Test
        void aCoveredRangeHasNoGapAndTheDefaultPartitionCoversNothing() {
            assertThat(PartitionCatalog.gaps(List.of(p(DEC, FEB)), DEC, JAN)).isEmpty();
            assertThat(PartitionCatalog.gaps(List.of(new Partition(PartitionedTable.FLOW_EVENTS, "d", null, null, true)),
                    DEC, JAN)).containsExactly(new Instant[]{DEC, JAN});
        }

        @Test
        void dailyPartitionsInsideAMonthLeaveTheRestOfTheMonthAsGaps() {
            Instant dec2 = DEC.plus(Duration.ofDays(1));
            Instant dec5 = DEC.plus(Duration.ofDays(4));
            Instant dec6 = DEC.plus(Duration.ofDays(5));
            assertThat(PartitionCatalog.gaps(List.of(p(dec5, dec6), p(dec2, dec5.minus(Duration.ofDays(2)))), DEC, JAN))
                    .containsExactly(new Instant[]{DEC, dec2}, new Instant[]{dec5.minus(Duration.ofDays(2)), dec5},
                            new Instant[]{dec6, JAN});
        }

        @Test
        void unboundedPartitionsCoverEverythingOnTheirSide() {
            assertThat(PartitionCatalog.gaps(List.of(p(null, JAN)), DEC, FEB)).containsExactly(new Instant[]{JAN, FEB});
            assertThat(PartitionCatalog.gaps(List.of(p(JAN, null)), DEC, FEB)).containsExactly(new Instant[]{DEC, JAN});
        }
    }
}
