package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.JsonDiff;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/** The version reads and the diff of {@link DefinitionRepository}, in its transaction; arguments already checked. */
final class DefinitionVersions {

    /**
     * Plain {@code add}/{@code remove}/{@code replace} operations, each carrying its value: a reader sees what
     * changed without the source document (no {@code move}/{@code copy} pointing elsewhere).
     */
    private static final EnumSet<DiffFlags> DIFF_FLAGS = EnumSet.of(DiffFlags.OMIT_MOVE_OPERATION,
            DiffFlags.OMIT_COPY_OPERATION);

    private final EntityManager em;

    DefinitionVersions(EntityManager em) {
        this.em = em;
    }

    /** Inserts version {@code number} (already numbered under the definition's row lock) and returns it. */
    static DefinitionVersion insert(Handle h, DefinitionKind kind, String id, int number, String content,
                                    String message, String author, Instant now) {
        return h.createQuery(DefinitionSql.INSERT_VERSION)
                .bindMap(Sql.parameters("kind", kind.storedName(), "id", id, "number", number, "content", content,
                        "message", message, "author", author, "now", now))
                .map((rs, ctx) -> DefinitionVersion.recorded(rs.getObject("id", UUID.class), kind, id, number,
                        Json.parse("content", content), message, author, now, (Long) rs.getObject("seq_id")))
                .one();
    }

    Optional<DefinitionVersion> byId(UUID versionId) {
        return Sql.call(em, "get DefinitionVersion " + versionId, h -> h.createQuery(DefinitionSql.VERSION_BY_ID)
                .bind("versionId", versionId).map(DefinitionSql.VERSION).findOne());
    }

    Optional<DefinitionVersion> byNumber(DefinitionKind kind, String id, int number) {
        return Sql.call(em, "get DefinitionVersion " + DefinitionRepository.key(kind, id) + "/" + number, h -> h
                .createQuery(DefinitionSql.VERSION_BY_NUMBER)
                .bind("kind", kind.storedName()).bind("id", id).bind("number", number)
                .map(DefinitionSql.VERSION).findOne());
    }

    Optional<DefinitionVersion> published(DefinitionKind kind, String id) {
        return Sql.call(em, "get published DefinitionVersion " + DefinitionRepository.key(kind, id), h -> h
                .createQuery(DefinitionSql.PUBLISHED_VERSION)
                .bind("kind", kind.storedName()).bind("id", id)
                .map(DefinitionSql.VERSION).findOne());
    }

    List<DefinitionVersion> page(DefinitionKind kind, String id, Integer beforeNumber, int limit) {
        int before = beforeNumber == null ? Integer.MAX_VALUE : beforeNumber;
        return Sql.call(em, "list DefinitionVersions " + DefinitionRepository.key(kind, id), h -> h
                .createQuery(DefinitionSql.VERSIONS)
                .bindMap(Sql.parameters("kind", kind.storedName(), "id", id, "before", before, "limit", limit))
                .map(DefinitionSql.VERSION)
                .collect(Collectors.toUnmodifiableList()));
    }

    long count(DefinitionKind kind, String id) {
        return Sql.call(em, "count DefinitionVersions " + DefinitionRepository.key(kind, id), h -> h
                .createQuery(DefinitionSql.COUNT_VERSIONS)
                .bind("kind", kind.storedName()).bind("id", id)
                .mapTo(Long.class).one());
    }

    /**
     * RFC 6902 JSON Patch from {@code from}'s content to {@code to}'s, computed by zjsonpatch with
     * {@link #DIFF_FLAGS}; an empty array when the contents are equal.
     */
    JsonNode diff(DefinitionKind kind, String id, int from, int to) {
        List<DefinitionVersion> pair = Sql.call(em, "diff DefinitionVersions " + DefinitionRepository.key(kind, id),
                h -> h.createQuery(DefinitionSql.VERSION_PAIR)
                        .bindMap(Sql.parameters("kind", kind.storedName(), "id", id, "from", from, "to", to))
                        .map(DefinitionSql.VERSION).list());
        return JsonDiff.asJson(of(pair, kind, id, from).content(), of(pair, kind, id, to).content(), DIFF_FLAGS);
    }

    private static DefinitionVersion of(List<DefinitionVersion> pair, DefinitionKind kind, String id, int number) {
        return pair.stream().filter(v -> v.number() == number).findFirst().orElseThrow(() ->
                new NotFoundException("DefinitionVersion", DefinitionRepository.key(kind, id) + "/" + number));
    }
}
