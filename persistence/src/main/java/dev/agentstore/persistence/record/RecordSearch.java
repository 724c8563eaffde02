package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.query.FieldPath;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The filter-language reads of {@link RecordRepository}: count, search and project, one statement each. Their SQL is
 * the only SQL of the aggregate assembled at run time: constant text around {@link QueryRenderer}'s output (paths
 * validated, every value bound by name). Arguments are checked by the repository.
 */
final class RecordSearch {

    private static final QueryRenderer RENDERER = new QueryRenderer(RecordRepository.FIELDS);

    /** PostgreSQL's "invalid datetime format" and "datetime field overflow": a date-like value that is no date. */

    private final EntityManager em;

    /**
     * @param em the unit of work's entity manager
     */
    RecordSearch(EntityManager em) {
        this.em = em;
    }

    /** {@code SELECT count(*)} of the records matching {@code filter}. */
    long count(Filter filter) {
        SqlFragment where = RENDERER.where(filter, ParameterStyle.NAMED, 1);
        String sql = "SELECT count(*) FROM records r WHERE " + where.sql();
        return call("count Records where " + filter, h -> h.createQuery(sql)
                .bindMap(where.namedParameters(1))
                .mapTo(long.class)
                .one());
    }

    /**
     * Deletes the records matching {@code filter}: {@code DELETE ... WHERE}, one statement.
     *
     * @param deleted receives each deleted id, or {@code null} to only count them (no ids are sent back)
     * @return how many records were deleted
     */
    long delete(Filter filter, Consumer<String> deleted) {
        SqlFragment where = RENDERER.where(filter, ParameterStyle.NAMED, 1);
        String sql = RecordSql.CLEAR.formatted(where.sql());
        String context = "clear Records where " + filter;
        if (deleted == null) {
            int count = call(context, h -> h.createUpdate(sql).bindMap(where.namedParameters(1)).execute());
            return count;
        }
        List<String> ids = call(context, h -> h.createQuery(sql + " RETURNING r.id")
                .bindMap(where.namedParameters(1))
                .mapTo(String.class)
                .list());
        ids.forEach(deleted);
        return ids.size();
    }

    /** The whole records matching the query, in its order then by id. */
    List<Record> search(Query query) {
        return select(RecordSql.COLUMNS, query, RecordSql.RECORD);
    }

    /** Per matching record, its id and the query's projected fields at their paths. */
    List<ObjectNode> project(Query query) {
        List<FieldPath> fields = query.projection();
        StringBuilder columns = new StringBuilder("r.id");
        for (int i = 0; i < fields.size(); i++) {
            columns.append(", CAST(").append(RENDERER.jsonValue(fields.get(i))).append(" AS text) AS field").append(i);
        }
        return select(columns.toString(), query, (rs, ctx) -> {
            ObjectNode out = Json.object();
            out.put("id", rs.getString("id"));
            for (int i = 0; i < fields.size(); i++) {
                String value = rs.getString("field" + i);
                if (value != null) {
                    put(out, fields.get(i), Json.parse("field", value));
                }
            }
            return out;
        });
    }

    private <T> List<T> select(String columns, Query query, RowMapper<T> mapper) {
        SqlFragment where = RENDERER.where(query.filter(), ParameterStyle.NAMED, 1);
        String order = RENDERER.orderBy(query.sort());
        String sql = "SELECT " + columns + " FROM records r WHERE " + where.sql()
                + " ORDER BY " + (order.isEmpty() ? "" : order + ", ") + "r.id"
                + " LIMIT :limit OFFSET :offset";
        return call("search Records where " + query.filter(), h -> h.createQuery(sql)
                .bindMap(where.namedParameters(1))
                .bind("limit", query.limit())
                .bind("offset", query.offset())
                .map(mapper)
                .list());
    }

    /**
     * Runs a filter statement through {@link Sql#call}; a date-like string in the data that is no date (SQL state
     * 22007, 22008, see {@link QueryRenderer}) is the query's invalid input, as an invalid regex (2201B) is
     * ({@link dev.agentstore.persistence.support.PersistenceErrors} translates both).
     */
    private <T> T call(String context, Sql.Work<T> work) {
        return Sql.call(em, context, work);
    }

    /** Sets {@code value} at the path's root and keys in {@code out}, creating the objects on the way. */
    private static void put(ObjectNode out, FieldPath path, JsonNode value) {
        ObjectNode target = out;
        List<String> segments = new ArrayList<>();
        segments.add(path.root());
        segments.addAll(path.keys());
        for (int i = 0; i < segments.size() - 1; i++) {
            JsonNode next = target.get(segments.get(i));
            target = next instanceof ObjectNode o ? o : target.putObject(segments.get(i));
        }
        target.set(segments.get(segments.size() - 1), value);
    }
}
