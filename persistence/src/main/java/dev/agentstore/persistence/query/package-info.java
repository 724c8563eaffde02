/**
 * The query language shared by JSONB records and vector search filters: {@link dev.agentstore.persistence.query.Filter
 * filters} on {@link dev.agentstore.persistence.query.FieldPath dot paths}, {@link dev.agentstore.persistence.query.Sort
 * sort keys}, limit/offset and projection in a {@link dev.agentstore.persistence.query.Query}, and a
 * {@link dev.agentstore.persistence.query.QueryRenderer} that turns them into PostgreSQL SQL with bound parameters.
 *
 * <h2>Paths</h2>
 * A path is a root followed by object keys, for example {@code data.user.age}. The roots are whatever the repository's
 * {@link dev.agentstore.persistence.query.FieldMap} defines: JSONB columns ({@code data}, {@code metadata} for
 * records; {@code payload}, {@code meta} for knowledge chunks) and plain columns ({@code id}, {@code created_at},
 * {@code document_id}...). Each segment matches {@code [A-Za-z_][A-Za-z0-9_]{0,62}}, at most 16 segments
 * ({@link dev.agentstore.persistence.query.FieldPath#PATTERN}); anything else is an
 * {@link dev.agentstore.domain.InvalidInputException}, so a path can never inject SQL.
 *
 * <h2>Operators</h2>
 * <table>
 *   <caption>Filter operators</caption>
 *   <tr><th>factory</th><th>SQL</th><th>notes</th></tr>
 *   <tr><td>{@code eq, neq, gt, gte, lt, lte}</td><td>{@code = <> > >= < <=}</td>
 *       <td>typed by the value's Java type ({@link dev.agentstore.persistence.query.ValueKind})</td></tr>
 *   <tr><td>{@code in, notIn}</td><td>{@code IN (...)}, {@code NOT IN (...)}</td><td>values of one kind, ≤ 1,000</td></tr>
 *   <tr><td>{@code like, notLike}</td><td>{@code LIKE}, {@code NOT LIKE}</td>
 *       <td>JSON strings only; {@code %}, {@code _}, {@code \}</td></tr>
 *   <tr><td>{@code regex}</td><td>{@code ~}</td><td>PostgreSQL POSIX regex; JSON strings only</td></tr>
 *   <tr><td>{@code eq(path, null), neq(path, null), isJsonNull}</td><td>{@code ->> IS [NOT] NULL}</td>
 *       <td>{@code eq}: JSON null or missing; {@code neq}: its complement; {@code isJsonNull}: JSON null only</td></tr>
 *   <tr><td>{@code between}</td><td>{@code BETWEEN a AND b}</td><td>inclusive, one kind</td></tr>
 *   <tr><td>{@code exists, notExists}</td><td>{@code IS [NOT] NULL} on the JSON value</td>
 *       <td>present even when holding JSON null</td></tr>
 *   <tr><td>{@code contains}</td><td>{@code column @> value}</td><td>JSONB containment; uses a GIN index</td></tr>
 *   <tr><td>{@code and, or, not}</td><td>{@code AND}, {@code OR}, {@code NOT COALESCE(..., false)}</td>
 *       <td>{@code not} is the exact complement</td></tr>
 * </table>
 *
 * <p><b>Types.</b> Numbers compare as numbers ({@code gt("data.n", 9)} matches {@code 10}), instants as
 * {@code timestamptz}, {@code LocalDate}s as {@code date}, booleans as booleans, strings as text. A JSONB value whose
 * JSON type does not fit the comparison does not match (and does not fail the query). Comparisons match only rows
 * where the field is present; wrap in {@code not} for the complement including absent fields.
 *
 * <p><b>Using the renderer</b> (a repository's view):
 * <pre>{@code
 * static final FieldMap FIELDS = FieldMap.builder().json("payload", "c.payload").json("meta", "c.meta")
 *         .column("document_id", "c.document_id", ValueKind.TEXT).build();
 * static final QueryRenderer RENDERER = new QueryRenderer(FIELDS);
 *
 * SqlFragment where = RENDERER.where(filter, ParameterStyle.ORDINAL, 3);   // ?3, ?4, ... after the statement's ?1, ?2
 * Query q = where.bind(em.createNativeQuery(
 *         "SELECT ... FROM chunks c WHERE c.base_id = ?1 AND c.x = ?2 AND " + where.sql()), 3);
 * q.setParameter(1, baseId).setParameter(2, x);
 *
 * SqlFragment jdbc = RENDERER.where(filter, ParameterStyle.JDBC, 1);          // plain ?, for a PreparedStatement
 * jdbc.bind(connection.prepareStatement("SELECT ... WHERE c.base_id = ? AND " + jdbc.sql()), 2).setLong(1, baseId);
 * }</pre>
 * Only the renderer's output and the repository's own constant SQL are concatenated; every caller value is in
 * {@link dev.agentstore.persistence.query.SqlFragment#parameters()}.
 */
package dev.agentstore.persistence.query;
