package dev.agentstore.persistence.query;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static dev.agentstore.persistence.query.Filter.and;
import static dev.agentstore.persistence.query.Filter.between;
import static dev.agentstore.persistence.query.Filter.contains;
import static dev.agentstore.persistence.query.Filter.eq;
import static dev.agentstore.persistence.query.Filter.exists;
import static dev.agentstore.persistence.query.Filter.gt;
import static dev.agentstore.persistence.query.Filter.in;
import static dev.agentstore.persistence.query.Filter.like;
import static dev.agentstore.persistence.query.Filter.neq;
import static dev.agentstore.persistence.query.Filter.not;
import static dev.agentstore.persistence.query.Filter.notExists;
import static dev.agentstore.persistence.query.Filter.notIn;
import static dev.agentstore.persistence.query.Filter.or;
import static dev.agentstore.persistence.query.Filter.regex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rendering only; the behaviour against PostgreSQL is tested by the repositories that use the renderer. */
class QueryRendererTest {

    private static final FieldMap FIELDS = FieldMap.builder()
            .json("data", "r.data").json("metadata", "r.metadata")
            .column("id", "r.id", ValueKind.TEXT).column("created_at", "r.created_at", ValueKind.TIMESTAMP)
            .build();

    private final QueryRenderer renderer = new QueryRenderer(FIELDS);

    private SqlFragment where(Filter f) {
        return renderer.where(f, ParameterStyle.ORDINAL, 1);
    }

    @Test
    void theClassDocExampleRendersAsDocumented() {
        SqlFragment sql = where(and(gt("data.age", 9), not(exists("data.deleted"))));
        assertThat(sql.sql()).isEqualTo("(((CASE WHEN jsonb_typeof(r.data -> 'age') = 'number' THEN"
                + " CAST(r.data ->> 'age' AS numeric) END) > CAST(?1 AS numeric))"
                + " AND NOT COALESCE((r.data -> 'deleted' IS NOT NULL), false))");
        assertThat(sql.parameters()).containsExactly(BigDecimal.valueOf(9));
    }

    @Nested
    class ValueKinds {

        @Test
        void numberValuesCompareJsonNumbersAsNumeric() {
            SqlFragment sql = where(gt("data.age", 9));
            assertThat(sql.sql()).isEqualTo("((CASE WHEN jsonb_typeof(r.data -> 'age') = 'number' THEN"
                    + " CAST(r.data ->> 'age' AS numeric) END) > CAST(?1 AS numeric))");
            assertThat(sql.parameters()).containsExactly(BigDecimal.valueOf(9));
        }

        @Test
        void stringValuesCompareTheTextAtNestedPaths() {
            SqlFragment sql = where(eq("data.user.name", "Alice"));
            assertThat(sql.sql()).isEqualTo("(r.data -> 'user' ->> 'name' = CAST(?1 AS text))");
            assertThat(sql.parameters()).containsExactly("Alice");
        }

        @Test
        void instantsCompareAsTimestamptzAndLocalDatesAsDates() {
            Instant t = Instant.parse("2024-01-01T00:00:00Z");
            SqlFragment ts = where(Filter.lt("data.at", t));
            assertThat(ts.sql()).contains("jsonb_typeof(r.data -> 'at') = 'string'")
                    .contains("CAST(r.data ->> 'at' AS timestamptz)").endsWith("< CAST(?1 AS timestamptz))");
            assertThat(ts.parameters()).containsExactly(OffsetDateTime.ofInstant(t, ZoneOffset.UTC));

            SqlFragment d = where(Filter.gte("data.day", LocalDate.of(2024, 2, 29)));
            assertThat(d.sql()).contains("CAST(r.data ->> 'day' AS date)").endsWith(">= CAST(?1 AS date))");
            assertThat(d.parameters()).containsExactly(LocalDate.of(2024, 2, 29));
        }

        @Test
        void booleansAndJsonScalarNodesChooseTheirKinds() {
            assertThat(where(eq("data.ok", true)).sql()).contains("= 'boolean'").endsWith("= CAST(?1 AS boolean))");
            SqlFragment node = where(eq("data.n", IntNode.valueOf(3)));
            assertThat(node.parameters()).containsExactly(BigDecimal.valueOf(3));
            assertThat(node.sql()).endsWith("= CAST(?1 AS numeric))");
        }
    }

    @Nested
    class Operators {

        @Test
        void containsWrapsThePathAroundTheValueOnTheRootColumn() {
            SqlFragment sql = where(contains("data.profile.tags", List.of("vip")));
            assertThat(sql.sql()).isEqualTo("(r.data @> CAST(?1 AS jsonb))");
            assertThat(sql.parameters()).containsExactly("{\"profile\":{\"tags\":[\"vip\"]}}");
            assertThat(where(contains("metadata", Map.of("k", 1))).parameters()).containsExactly("{\"k\":1}");
        }

        @Test
        void existsNotExistsInNotInLikeRegexRender() {
            assertThat(where(exists("data.a")).sql()).isEqualTo("(r.data -> 'a' IS NOT NULL)");
            assertThat(where(notExists("metadata.a.b")).sql()).isEqualTo("(r.metadata -> 'a' -> 'b' IS NULL)");
            assertThat(where(notIn("data.s", List.of("x"))).sql()).isEqualTo("(r.data ->> 's' NOT IN (CAST(?1 AS text)))");
            assertThat(where(in("data.s", List.of())).sql()).isEqualTo("FALSE");
            assertThat(where(notIn("data.s", List.of())).sql()).isEqualTo("(r.data ->> 's' IS NOT NULL)");
            assertThat(where(like("data.s", "a%")).sql())
                    .isEqualTo("(jsonb_typeof(r.data -> 's') = 'string' AND r.data ->> 's' LIKE CAST(?1 AS text))");
            assertThat(where(Filter.notLike("data.s", "a%")).sql())
                    .isEqualTo("(jsonb_typeof(r.data -> 's') = 'string' AND r.data ->> 's' NOT LIKE CAST(?1 AS text))");
            assertThat(where(regex("data.a.s", "^a")).sql()).isEqualTo("(jsonb_typeof(r.data -> 'a' -> 's') = 'string'"
                    + " AND r.data -> 'a' ->> 's' ~ CAST(?1 AS text))");
            assertThat(where(Filter.all()).sql()).isEqualTo("TRUE");
            assertThat(where(or()).sql()).isEqualTo("FALSE");
        }

        @Test
        void nullEqualityRendersAsTheTextBeingNullAndJsonNullAsItsType() {
            SqlFragment eqNull = where(eq("data.a.b", null));
            assertThat(eqNull.sql()).isEqualTo("(r.data -> 'a' ->> 'b' IS NULL)");
            assertThat(eqNull.parameters()).isEmpty();
            assertThat(where(neq("data.a", null)).sql()).isEqualTo("(r.data ->> 'a' IS NOT NULL)");
            assertThat(where(eq("data.a", com.fasterxml.jackson.databind.node.NullNode.getInstance())).sql())
                    .isEqualTo("(r.data ->> 'a' IS NULL)");
            assertThat(where(Filter.isJsonNull("data.a")).sql()).isEqualTo("(jsonb_typeof(r.data -> 'a') = 'null')");
            assertThat(where(eq("data", null)).sql())
                    .isEqualTo("(COALESCE(jsonb_typeof(r.data), 'null') = 'null')");
            assertThat(eq("data.a", null)).hasToString("data.a IS NULL");
            assertThat(neq("data.a", null)).hasToString("data.a IS NOT NULL");
        }

        @Test
        void plainColumnsCompareDirectlyAndRejectOtherKinds() {
            Instant t = Instant.parse("2024-01-01T00:00:00Z");
            assertThat(where(gt("created_at", t)).sql()).isEqualTo("(r.created_at > CAST(?1 AS timestamptz))");
            assertThat(where(like("id", "a%")).sql()).isEqualTo("(r.id LIKE CAST(?1 AS text))");
            assertThat(where(exists("id")).sql()).isEqualTo("(r.id IS NOT NULL)");
            assertThat(where(eq("id", null)).sql()).isEqualTo("(r.id IS NULL)");
            assertThat(where(neq("id", null)).sql()).isEqualTo("NOT COALESCE((r.id IS NULL), false)");
            assertThatThrownBy(() -> where(gt("created_at", 5))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("created_at");
            assertThatThrownBy(() -> where(eq("id.x", "a"))).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> where(contains("id", "a"))).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Parameters {

        @Test
        void compositionNumbersParametersInOrderFromTheFirstIndex() {
            SqlFragment sql = renderer.where(and(eq("data.a", "x"), or(in("data.b", List.of(1, 2)), not(exists("data.c")))),
                    ParameterStyle.ORDINAL, 4);
            assertThat(sql.sql()).isEqualTo("((r.data ->> 'a' = CAST(?4 AS text)) AND"
                    + " (((CASE WHEN jsonb_typeof(r.data -> 'b') = 'number' THEN CAST(r.data ->> 'b' AS numeric) END)"
                    + " IN (CAST(?5 AS numeric), CAST(?6 AS numeric))) OR NOT COALESCE((r.data -> 'c' IS NOT NULL), false)))");
            assertThat(sql.parameters()).containsExactly("x", BigDecimal.valueOf(1), BigDecimal.valueOf(2));
        }

        @Test
        void jdbcStyleWritesPlainPlaceholders() {
            SqlFragment sql = renderer.where(between("data.n", 1, 5), ParameterStyle.JDBC, 3);
            assertThat(sql.sql()).endsWith("BETWEEN CAST(? AS numeric) AND CAST(? AS numeric))");
            assertThat(sql.parameters()).containsExactly(BigDecimal.valueOf(1), BigDecimal.valueOf(5));
        }

        @Test
        void namedStyleWritesJdbiNamesFromTheFirstIndexAndBindsThemByName() {
            SqlFragment sql = renderer.where(between("data.n", 1, 5), ParameterStyle.NAMED, 3);
            assertThat(sql.sql()).endsWith("BETWEEN CAST(:filter3 AS numeric) AND CAST(:filter4 AS numeric))");
            assertThat(sql.namedParameters(3)).containsExactly(
                    Map.entry("filter3", BigDecimal.valueOf(1)), Map.entry("filter4", BigDecimal.valueOf(5)));
        }
    }

    @Nested
    class RejectedInput {

        @Test
        void unknownRootsAndWholeDocumentComparisonsAreRejected() {
            assertThatThrownBy(() -> where(eq("secret.x", 1))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("data, metadata, id, created_at");
            assertThatThrownBy(() -> where(eq("data", 1))).isInstanceOf(InvalidInputException.class);
        }

        @Test
        void injectionAttemptsInPathsAreRejectedBeforeRendering() {
            for (String path : List.of("data.a'; DROP TABLE records; --", "data.a b", "data.\"a\"", "data..a", "data.",
                    "1data", "data.a->>'b'", "data.a-b", "data.0", "", "data.ä", "data." + "a".repeat(64))) {
                assertThatThrownBy(() -> eq(path, 1)).as(path).isInstanceOf(InvalidInputException.class);
                assertThatThrownBy(() -> Sort.by(path)).as(path).isInstanceOf(InvalidInputException.class);
            }
            assertThatThrownBy(() -> FieldPath.of("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"))
                    .isInstanceOf(InvalidInputException.class);
            assertThat(FieldPath.of("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p").keys()).hasSize(15);
        }

        @Test
        void injectionAttemptsInValuesOnlyBecomeParameters() {
            String evil = "'); DROP TABLE records; --";
            SqlFragment sql = where(eq("data.name", evil));
            assertThat(sql.sql()).doesNotContain("DROP");
            assertThat(sql.parameters()).containsExactly(evil);
            assertThat(where(contains("data.name", evil)).sql()).doesNotContain("DROP");
        }

        @Test
        void invalidValuesAreRejected() {
            assertThatThrownBy(() -> gt("data.a", null)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> new Filter.Compare(FieldPath.of("data.a"), Filter.Op.EQ, null))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> eq("data.a", Double.NaN)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> eq("data.a", new Object())).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> eq("data.a", java.time.LocalDateTime.now())).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> eq("data.a", "nul\0")).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> like("data.a", null)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> in("data.a", List.of(1, "x"))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("one kind");
            assertThatThrownBy(() -> between("data.a", 1, "x")).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> new Filter.Compare(FieldPath.of("data.a"), Filter.Op.REGEX, 1))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void tooLargeOrTooDeepFiltersAreRejected() {
            Filter deep = eq("data.a", 1);
            for (int i = 0; i < 40; i++) {
                deep = not(deep);
            }
            Filter finalDeep = deep;
            assertThatThrownBy(() -> where(finalDeep)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("nested");
            Filter[] many = new Filter[QueryRenderer.MAX_CONDITIONS + 1];
            java.util.Arrays.fill(many, exists("data.a"));
            assertThatThrownBy(() -> where(and(many))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("conditions");
        }
    }

    @Nested
    class SortsProjectionsAndWindows {

        @Test
        void sortsRenderNaturalNumericAndColumnOrderWithNullsLast() {
            assertThat(renderer.orderBy(List.of(Sort.by("data.age").numeric().descending(), Sort.by("data.name"),
                    Sort.by("created_at").descending(), Sort.by("data.n").text())))
                    .isEqualTo("(CASE WHEN jsonb_typeof(r.data -> 'age') = 'number' THEN CAST(r.data ->> 'age' AS numeric)"
                            + " END) DESC NULLS LAST, r.data -> 'name' ASC NULLS LAST, r.created_at DESC NULLS LAST,"
                            + " r.data ->> 'n' ASC NULLS LAST");
            assertThat(renderer.orderBy(List.of())).isEmpty();
        }

        @Test
        void projectionsAreJsonbExpressions() {
            assertThat(renderer.jsonValue(FieldPath.of("data.a.b"))).isEqualTo("r.data -> 'a' -> 'b'");
            assertThat(renderer.jsonValue(FieldPath.of("id"))).isEqualTo("to_jsonb(r.id)");
        }

        @Test
        void queriesValidateTheirWindow() {
            Query q = Query.where(eq("data.a", 1)).orderBy(Sort.by("data.a")).limit(5).offset(10).select("data.a");
            assertThat(q.limit()).isEqualTo(5);
            assertThat(q.offset()).isEqualTo(10);
            assertThat(q.projection()).containsExactly(FieldPath.of("data.a"));
            assertThatThrownBy(() -> Query.all().limit(0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> Query.all().limit(Query.MAX_LIMIT + 1)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> Query.all().offset(-1)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> Query.all().select("data.x y")).isInstanceOf(InvalidInputException.class);
        }

        @Test
        void fieldMapsAcceptOnlyIdentifierColumns() {
            assertThatThrownBy(() -> FieldMap.builder().json("data", "r.data; DROP TABLE x"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FieldMap.builder().json("data", "r.data").json("data", "r.other"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
