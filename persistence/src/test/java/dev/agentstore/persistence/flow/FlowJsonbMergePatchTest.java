package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database function {@code jsonb_merge_patch} (used by single-statement upserts such as
 * {@code FlowRunRepository.mergeSnapshot}) and {@link Json#mergePatch} (used by entity updates) must agree, so a run
 * merges the same way whichever path writes it.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowJsonbMergePatchTest {

    private static final String SQL = "SELECT jsonb_merge_patch(CAST(?1 AS jsonb), CAST(?2 AS jsonb))::text";

    /** RFC 7386 Appendix A, plus deeper and agentstore-specific cases: target, patch, expected result. */
    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {"a":"b"}                     | {"a":"c"}                      | {"a":"c"}
            {"a":"b"}                     | {"b":"c"}                      | {"a":"b","b":"c"}
            {"a":"b"}                     | {"a":null}                     | {}
            {"a":"b","b":"c"}             | {"a":null}                     | {"b":"c"}
            {"a":["b"]}                   | {"a":"c"}                      | {"a":"c"}
            {"a":"c"}                     | {"a":["b"]}                    | {"a":["b"]}
            {"a":{"b":"c"}}               | {"a":{"b":"d","c":null}}       | {"a":{"b":"d"}}
            {"a":[{"b":"c"}]}             | {"a":[1]}                      | {"a":[1]}
            ["a","b"]                     | ["c","d"]                      | ["c","d"]
            {"a":"b"}                     | ["c"]                          | ["c"]
            {"a":"foo"}                   | null                           | null
            {"a":"foo"}                   | "bar"                          | "bar"
            {"e":null}                    | {"a":1}                        | {"e":null,"a":1}
            [1,2]                         | {"a":"b","c":null}             | {"a":"b"}
            {}                            | {"a":{"bb":{"ccc":null}}}      | {"a":{"bb":{}}}
            {"ctx":{"s1":{"o":1},"s2":2}} | {"ctx":{"s1":{"p":0},"s2":null}} | {"ctx":{"s1":{"o":1,"p":0}}}
            {"a":0,"b":false,"c":""}      | {"d":0,"b":true}               | {"a":0,"b":true,"c":"","d":0}
            {"a":1}                       | {}                             | {"a":1}
            """)
    void jsonbMergePatchAgreesWithJsonMergePatch(String target, String patch, String expected, AgentStore store) {
        JsonNode inJava = Json.mergePatch(Json.parse("target", target), Json.parse("patch", patch));
        String inSql = store.fromTransaction(uow -> (String) uow.entityManager().createNativeQuery(SQL)
                .setParameter(1, target).setParameter(2, patch).getSingleResult());

        assertThat(inJava).isEqualTo(Json.parse("expected", expected));
        assertThat(Json.parse("sql", inSql)).isEqualTo(inJava);
    }

    @ParameterizedTest(name = "SQL NULL patch keeps {0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"a":1}
            [1]
            """)
    void aSqlNullPatchKeepsTheTargetAsAJavaNullPatchDoes(String target, AgentStore store) {
        String inSql = store.fromTransaction(uow -> (String) uow.entityManager()
                .createNativeQuery("SELECT jsonb_merge_patch(CAST(?1 AS jsonb), CAST(NULL AS jsonb))::text")
                .setParameter(1, target).getSingleResult());

        assertThat(Json.parse("sql", inSql)).isEqualTo(Json.mergePatch(Json.parse("target", target), null));
    }
}
