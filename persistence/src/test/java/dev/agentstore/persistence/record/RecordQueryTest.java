package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.Sort;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import org.hibernate.Session;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.agentstore.persistence.query.Filter.and;
import static dev.agentstore.persistence.query.Filter.between;
import static dev.agentstore.persistence.query.Filter.contains;
import static dev.agentstore.persistence.query.Filter.eq;
import static dev.agentstore.persistence.query.Filter.exists;
import static dev.agentstore.persistence.query.Filter.gt;
import static dev.agentstore.persistence.query.Filter.gte;
import static dev.agentstore.persistence.query.Filter.in;
import static dev.agentstore.persistence.query.Filter.like;
import static dev.agentstore.persistence.query.Filter.lt;
import static dev.agentstore.persistence.query.Filter.lte;
import static dev.agentstore.persistence.query.Filter.neq;
import static dev.agentstore.persistence.query.Filter.not;
import static dev.agentstore.persistence.query.Filter.notExists;
import static dev.agentstore.persistence.query.Filter.notIn;
import static dev.agentstore.persistence.query.Filter.notLike;
import static dev.agentstore.persistence.query.Filter.or;
import static dev.agentstore.persistence.query.Filter.regex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every operator of the query language against PostgreSQL, on one read-only data set of five records. */
@ExtendWith(AgentStoreExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordQueryTest {

    private static final String EVIL = "'); DROP TABLE records; --";

    private AgentStore store;

    @BeforeAll
    void load(AgentStore store) {
        this.store = store;
        store.inTransaction(uow -> uow.records().createBatch(List.of(
                rec("p1", "{\"name\":\"Alice\",\"age\":9,\"city\":\"Paris\",\"born\":\"2015-03-01T10:00:00Z\","
                        + "\"day\":\"2015-03-01\",\"active\":true,\"tags\":[\"a\",\"vip\"],"
                        + "\"address\":{\"zip\":\"75001\"},\"note\":\"" + EVIL + "\"}", "{\"source\":\"web\"}"),
                rec("p2", "{\"name\":\"Bob\",\"age\":10,\"city\":\"Berlin\",\"born\":\"2014-01-01T00:00:00Z\","
                        + "\"active\":false,\"tags\":[\"b\"],\"nullable\":null}", "{\"source\":\"app\"}"),
                rec("p3", "{\"name\":\"carol\",\"age\":100,\"born\":\"2000-06-15T12:00:00+02:00\",\"active\":true,"
                        + "\"tags\":[\"vip\"]}", "{}"),
                rec("p4", "{\"name\":\"Dave\",\"age\":\"11\",\"city\":\"Paris\",\"born\":\"not a date\"}",
                        "{\"source\":\"web\"}"),
                rec("p5", "{\"name\":\"Eve\",\"age\":9.5,\"born\":\"2015-13-01\",\"day\":\"2015-03-01x\","
                        + "\"extra\":{\"deep\":{\"x\":1}}}", "{\"level\":3}"))));
    }

    @Test
    void jdbcStyleFragmentsBindWithPlainSetObject() {
        Filter filter = or(eq("data.day", LocalDate.of(2015, 3, 1)),
                and(gt("data.age", 9), lt("data.born", Instant.parse("2014-06-01T00:00:00Z")),
                        eq("data.active", true), contains("data.tags", List.of("vip")), like("data.name", "c%")));
        SqlFragment where = new QueryRenderer(RecordRepository.FIELDS).where(filter, ParameterStyle.JDBC, 1);
        List<String> ids = store.fromTransaction(uow -> uow.entityManager().unwrap(Session.class)
                .doReturningWork(connection -> {
                    try (PreparedStatement ps = connection.prepareStatement(
                            "SELECT r.id FROM records r WHERE " + where.sql() + " ORDER BY r.id")) {
                        where.bind(ps, 1);
                        List<String> found = new ArrayList<>();
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                found.add(rs.getString(1));
                            }
                        }
                        return found;
                    }
                }));
        assertThat(ids).containsExactly("p1", "p3");
    }

    @Nested
    class Comparisons {

        @Test
        void numbersCompareAsNumbersAndStringsAsText() {
            assertThat(ids(gt("data.age", 9))).containsExactly("p2", "p3", "p5");
            assertThat(ids(gt("data.age", 9L))).containsExactly("p2", "p3", "p5");
            assertThat(ids(gt("data.age", "9"))).as("text: '10' < '9'").containsExactly("p5");
            assertThat(ids(eq("data.age", "11"))).containsExactly("p4");
            assertThat(ids(eq("data.age", 11))).as("the string \"11\" is not the number 11").isEmpty();
            assertThat(ids(gte("data.age", 10))).containsExactly("p2", "p3");
            assertThat(ids(lt("data.age", 9.5))).containsExactly("p1");
            assertThat(ids(lte("data.age", 9.5))).containsExactly("p1", "p5");
            assertThat(ids(eq("data.age", new java.math.BigDecimal("9.50")))).containsExactly("p5");
        }

        @Test
        void instantsCompareAsInstantsAcrossOffsetsAndDatesAsDates() {
            assertThat(ids(lt("data.born", Instant.parse("2014-06-01T00:00:00Z")))).containsExactly("p2", "p3");
            Instant carol = Instant.parse("2000-06-15T10:00:00Z");
            assertThat(ids(gte("data.born", carol))).contains("p3");
            assertThat(ids(gt("data.born", carol))).containsExactly("p1", "p2");
            assertThat(ids(eq("data.born", carol))).as("12:00+02:00 is 10:00Z").containsExactly("p3");
            assertThat(ids(eq("data.day", LocalDate.of(2015, 3, 1)))).containsExactly("p1");
            assertThat(ids(lt("data.born", LocalDate.of(2015, 1, 1)))).containsExactly("p2", "p3");
            assertThat(ids(gt("data.born", Instant.EPOCH))).as("'not a date' and month 13 do not match")
                    .containsExactly("p1", "p2", "p3");
            assertThat(ids(lt("data.day", LocalDate.of(2100, 1, 1)))).as("'2015-03-01x' is not a date")
                    .containsExactly("p1");
        }

        @Test
        void booleansCompareAsBooleans() {
            assertThat(ids(eq("data.active", true))).containsExactly("p1", "p3");
            assertThat(ids(eq("data.active", false))).containsExactly("p2");
        }

        @Test
        void neqMatchesPresentValuesWhileNotIsTheExactComplement() {
            assertThat(ids(eq("data.city", "Paris"))).containsExactly("p1", "p4");
            assertThat(ids(neq("data.city", "Paris"))).containsExactly("p2");
            assertThat(ids(not(eq("data.city", "Paris")))).containsExactly("p2", "p3", "p5");
        }

        @Test
        void existsAndNotExistsOnPresentNullAndMissingPaths() {
            assertThat(ids(exists("data.city"))).containsExactly("p1", "p2", "p4");
            assertThat(ids(notExists("data.city"))).containsExactly("p3", "p5");
            assertThat(ids(exists("data.nullable"))).as("a key holding JSON null exists").containsExactly("p2");
            assertThat(ids(exists("data.extra.deep.x"))).containsExactly("p5");
            assertThat(ids(notExists("data.address.street.number"))).hasSize(5);
            assertThat(ids(exists("data.name.first"))).as("below a string").isEmpty();
            assertThat(ids(exists("metadata.source"))).containsExactly("p1", "p2", "p4");
        }

        @Test
        void regexLikeAndNotLikeMatchText() {
            assertThat(ids(regex("data.name", "^[A-Z]"))).containsExactly("p1", "p2", "p4", "p5");
            assertThat(ids(regex("data.name", "(?i)^C"))).containsExactly("p3");
            assertThat(ids(regex("data.address.zip", "^75[0-9]+$"))).containsExactly("p1");
            assertThat(ids(like("data.name", "%e"))).containsExactly("p1", "p4", "p5");
            assertThat(ids(notLike("data.name", "%e"))).containsExactly("p2", "p3");
            assertThat(ids(like("data.name", "B_b"))).containsExactly("p2");
        }

        @Test
        void textOperatorsNeverMatchNumbersBooleansObjectsOrArrays() {
            assertThat(ids(like("data.age", "1%"))).as("the numbers 10 and 100 are not text").containsExactly("p4");
            assertThat(ids(regex("data.age", "^9"))).as("the numbers 9 and 9.5 are not text").isEmpty();
            assertThat(ids(notLike("data.age", "x%"))).as("only strings take part").containsExactly("p4");
            assertThat(ids(regex("data.active", "true"))).isEmpty();
            assertThat(ids(regex("data.address", "75001"))).as("an object's text is not matched").isEmpty();
            assertThat(ids(like("data.tags", "%vip%"))).as("an array's text is not matched").isEmpty();
            assertThat(ids(not(like("data.age", "1%")))).containsExactly("p1", "p2", "p3", "p5");
            assertThat(ids(like("id", "p%"))).as("text columns are text").hasSize(5);
        }

        @Test
        void equalityWithNullMatchesJsonNullOrAMissingKeyAndNeqNullIsItsComplement() {
            assertThat(ids(eq("data.nullable", null))).as("p2 holds null, the others lack the key").hasSize(5);
            assertThat(ids(Filter.isJsonNull("data.nullable"))).containsExactly("p2");
            assertThat(ids(neq("data.nullable", null))).isEmpty();
            assertThat(ids(eq("data.city", null))).containsExactly("p3", "p5");
            assertThat(ids(neq("data.city", null))).containsExactly("p1", "p2", "p4");
            assertThat(ids(not(eq("data.city", null)))).containsExactly("p1", "p2", "p4");
            assertThat(ids(eq("metadata.source", Json.parse("v", "null")))).containsExactly("p3", "p5");
            assertThat(ids(eq("data.extra.deep.x", null))).containsExactly("p1", "p2", "p3", "p4");
            assertThat(ids(eq("id", null))).isEmpty();
            assertThat(ids(neq("id", null))).hasSize(5);
            assertThat(ids(eq("data", null))).isEmpty();
            assertThat(count(or(eq("data.city", null), eq("data.city", "Paris")))).isEqualTo(4);
            assertThatThrownBy(() -> gt("data.city", null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("eq/neq");
            assertThatThrownBy(() -> in("data.city", java.util.Arrays.asList("Paris", null)))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void anInvalidRegexIsInvalidInput() {
            assertThatThrownBy(() -> ids(regex("data.name", "(unclosed")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("regular expression");
        }

        @Test
        void betweenIsInclusive() {
            assertThat(ids(between("data.age", 9, 10))).containsExactly("p1", "p2", "p5");
            assertThat(ids(between("data.name", "B", "D"))).containsExactly("p2");
            assertThat(ids(between("data.born", Instant.parse("2000-01-01T00:00:00Z"),
                    Instant.parse("2014-01-01T00:00:00Z")))).containsExactly("p2", "p3");
        }

        @Test
        void inAndNotIn() {
            assertThat(ids(in("data.city", List.of("Paris", "Berlin")))).containsExactly("p1", "p2", "p4");
            assertThat(ids(notIn("data.city", List.of("Paris")))).containsExactly("p2");
            assertThat(ids(in("data.age", List.of(9, 100)))).containsExactly("p1", "p3");
            assertThat(ids(notIn("data.age", List.of(9, 100)))).containsExactly("p2", "p5");
            assertThat(ids(in("data.city", List.of()))).isEmpty();
            assertThat(ids(in("id", List.of("p3", "p5", "nope")))).containsExactly("p3", "p5");
        }

        @Test
        void containsUsesJsonbContainmentOnNestedPaths() {
            assertThat(ids(contains("data.tags", List.of("vip")))).containsExactly("p1", "p3");
            assertThat(ids(contains("data", Map.of("tags", List.of("vip", "a"))))).containsExactly("p1");
            assertThat(ids(contains("metadata", Map.of("source", "web")))).containsExactly("p1", "p4");
            assertThat(ids(contains("data.address", Map.of("zip", "75001")))).containsExactly("p1");
            assertThat(ids(contains("data.nullable", null))).containsExactly("p2");
            assertThat(ids(contains("data.extra.deep", Map.of("x", 1)))).containsExactly("p5");
            assertThat(ids(contains("metadata.level", 3))).containsExactly("p5");
        }

        @Test
        void comparisonsOnColumnsOfAnotherKindAreInvalidInput() {
            assertThatThrownBy(() -> ids(gt("created_at", 5))).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> ids(eq("data", 5))).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Composition {

        @Test
        void nestedAndOrNotCompose() {
            assertThat(ids(and(or(eq("data.city", "Paris"), gt("data.age", 50)), not(eq("data.name", "Dave")))))
                    .containsExactly("p1", "p3");
            assertThat(ids(or(and(eq("data.active", true), not(contains("data.tags", List.of("a")))),
                    not(or(exists("data.city"), exists("data.active"))))))
                    .containsExactly("p3", "p5");
            assertThat(ids(not(not(eq("data.city", "Berlin"))))).containsExactly("p2");
            assertThat(ids(not(and()))).isEmpty();
            assertThat(ids(Filter.all())).hasSize(5);
        }

        @Test
        void columnsCanBeFilteredToo() {
            assertThat(ids(eq("id", "p4"))).containsExactly("p4");
            assertThat(ids(like("id", "p%"))).hasSize(5);
            assertThat(ids(eq("version", 0))).hasSize(5);
            assertThat(ids(lte("created_at", Instant.now().plusSeconds(86_400 * 365 * 100L)))).hasSize(5);
        }
    }

    @Nested
    class InjectedText {

        @Test
        void injectionStringsInValuesMatchLiterallyAndAreInert() {
            assertThat(ids(eq("data.note", EVIL))).containsExactly("p1");
            assertThat(ids(like("data.note", "%DROP TABLE%"))).containsExactly("p1");
            assertThat(ids(contains("data", Map.of("note", EVIL)))).containsExactly("p1");
            assertThat(ids(eq("data.name", "x' OR '1'='1"))).isEmpty();
            assertThat(count(Filter.all())).isEqualTo(5);
        }

        @Test
        void injectionStringsInPathsAreRejected() {
            for (String path : List.of("data.name'; DROP TABLE records; --", "data.name') OR ('1'='1",
                    "data->>'name'", "data.\"name\"", "pg_catalog.pg_user", "data.name--", "records.id")) {
                assertThatThrownBy(() -> store.fromTransaction(uow -> uow.records().search(
                        Query.where(eq(path, "x"))))).as(path).isInstanceOf(InvalidInputException.class);
                assertThatThrownBy(() -> store.fromTransaction(uow -> uow.records().search(
                        Query.all().orderBy(Sort.by(path))))).as(path).isInstanceOf(InvalidInputException.class);
                assertThatThrownBy(() -> store.fromTransaction(uow -> uow.records().project(
                        Query.all().select(path)))).as(path).isInstanceOf(InvalidInputException.class);
            }
            assertThat(count(Filter.all())).isEqualTo(5);
        }
    }

    @Nested
    class SortingAndPaging {

        @Test
        void sortsNumericallyNaturallyOrAsTextWithMissingValuesLast() {
            assertThat(sorted(Sort.by("data.age").numeric().descending())).containsExactly("p3", "p2", "p5", "p1", "p4");
            assertThat(sorted(Sort.by("data.age").numeric())).containsExactly("p1", "p5", "p2", "p3", "p4");
            assertThat(sorted(Sort.by("data.age"))).as("jsonb order: strings before numbers, numbers numerically")
                    .containsExactly("p4", "p1", "p5", "p2", "p3");
            assertThat(sorted(Sort.by("data.age").text())).containsExactly("p2", "p3", "p4", "p1", "p5");
            assertThat(sorted(Sort.by("data.born").timestamp())).containsExactly("p3", "p2", "p1", "p4", "p5");
        }

        @Test
        void sortsOnSeveralKeysThenById() {
            assertThat(sorted(Sort.by("data.city"), Sort.by("data.age").numeric().descending()))
                    .containsExactly("p2", "p1", "p4", "p3", "p5");
            assertThat(sorted(Sort.by("metadata.source").descending())).containsExactly("p1", "p4", "p2", "p3", "p5");
        }

        @Test
        void limitAndOffsetPageThroughTheSortedResult() {
            Query q = Query.all().orderBy(Sort.by("data.age").numeric()).limit(2);
            List<String> all = new ArrayList<>();
            for (int offset = 0; offset < 6; offset += 2) {
                Query page = q.offset(offset);
                all.addAll(store.fromTransaction(uow -> uow.records().search(page)).stream().map(Record::id).toList());
            }
            assertThat(all).containsExactly("p1", "p5", "p2", "p3", "p4");
            assertThat(search(q.offset(5))).isEmpty();
        }
    }

    @Nested
    class ProjectionSearchAndCount {

        @Test
        void projectionReturnsOnlyTheSelectedFields() {
            List<ObjectNode> rows = project(
                    Query.where(eq("data.city", "Paris")).select("data.name", "data.address.zip", "metadata.source",
                            "created_at"));
            assertThat(rows).hasSize(2);
            assertThat((Object) rows.get(0).deepCopy().without("created_at")).isEqualTo(Json.parse("r",
                    "{\"id\":\"p1\",\"data\":{\"name\":\"Alice\",\"address\":{\"zip\":\"75001\"}},"
                            + "\"metadata\":{\"source\":\"web\"}}"));
            assertThat(rows.get(0).get("created_at").isTextual()).isTrue();
            assertThat((Object) rows.get(1).deepCopy().without("created_at")).isEqualTo(Json.parse("r",
                    "{\"id\":\"p4\",\"data\":{\"name\":\"Dave\"},\"metadata\":{\"source\":\"web\"}}"));
            assertThat(project(Query.where(eq("id", "p2"))
                    .select("data.nullable"))).containsExactly((ObjectNode) Json.parse("r",
                    "{\"id\":\"p2\",\"data\":{\"nullable\":null}}"));
        }

        @Test
        void searchReturnsWholeRecordsAndRefusesAProjection() {
            List<Record> found = search(Query.where(eq("id", "p5")));
            assertThat(found).singleElement().satisfies(r -> {
                assertThat(r.data().get("extra")).isEqualTo(Json.parse("x", "{\"deep\":{\"x\":1}}"));
                assertThat(r.metadata()).isEqualTo(Json.parse("m", "{\"level\":3}"));
            });
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.records().search(Query.all().select("data.a"))))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.records().project(Query.all())))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void countsWithAndWithoutFilter() {
            assertThat(count(Filter.all())).isEqualTo(5);
            assertThat(count(contains("data.tags", List.of("vip"))))
                    .isEqualTo(2);
        }
    }

    private long count(Filter filter) {
        return store.fromTransaction(uow -> uow.records().count(filter));
    }

    private List<Record> search(Query query) {
        return store.fromTransaction(uow -> uow.records().search(query));
    }

    private List<ObjectNode> project(Query query) {
        return store.fromTransaction(uow -> uow.records().project(query));
    }

    private List<String> ids(Filter filter) {
        return store.fromTransaction(uow -> uow.records().search(Query.where(filter).orderBy(Sort.by("id"))))
                .stream().map(Record::id).toList();
    }

    private List<String> sorted(Sort... sort) {
        return store.fromTransaction(uow -> uow.records().search(Query.all().orderBy(sort)))
                .stream().map(Record::id).toList();
    }

    private static NewRecord rec(String id, String data, String metadata) {
        return new NewRecord(id, Json.parse("data", data), Json.parse("metadata", metadata));
    }
}
