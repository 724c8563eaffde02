package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.migrations.SchemaNames;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.configuration.ConfigurationCache;

import java.time.Clock;
import java.time.Duration;

/**
 * The settings of an {@link AgentStoreConfig} beyond the connection ({@link ConnectionSettings}): the pool, the
 * schema, migrations on open, the clock, the configuration cache and the JSON limits, validated. Immutable.
 *
 * @param poolConnectionTimeout see {@link AgentStoreConfig#poolConnectionTimeout()}; validated with the other
 *                              timeouts by {@link ConnectionSettings#compose}
 * @param schema                see {@link AgentStoreConfig#schema()}
 * @param poolMaxSize           see {@link AgentStoreConfig#poolMaxSize()}
 * @param poolMinIdle           see {@link AgentStoreConfig#poolMinIdle()}
 * @param autoMigrate           see {@link AgentStoreConfig#autoMigrate()}
 * @param indexOptions          see {@link AgentStoreConfig#indexOptions()}
 * @param clock                 see {@link AgentStoreConfig#clock()}
 * @param configCacheMaxSize    see {@link AgentStoreConfig#configCacheMaxSize()}
 * @param configCacheTtl        see {@link AgentStoreConfig#configCacheTtl()}
 * @param jsonLimits            see {@link AgentStoreConfig#jsonLimits()}
 * @param blobMaxSize           see {@link AgentStoreConfig#blobMaxSize()}
 * @param vectorSchema          see {@link AgentStoreConfig#vectorSchema()}
 */
record StoreSettings(Duration poolConnectionTimeout, String schema, int poolMaxSize, int poolMinIdle,
                     boolean autoMigrate, IndexOptions indexOptions, Clock clock, long configCacheMaxSize,
                     Duration configCacheTtl, JsonLimits jsonLimits, long blobMaxSize, String vectorSchema) {

    /**
     * @return {@code b}'s settings beyond the connection, validated
     * @throws InvalidInputException naming the first invalid setting
     */
    static StoreSettings validate(AgentStoreConfig.Builder b) {
        String validSchema;
        try {
            validSchema = SchemaNames.requireValid(b.schema);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("schema (AGENTSTORE_DB_SCHEMA): " + e.getMessage());
        }
        String validVectorSchema;
        try {
            validVectorSchema = SchemaNames.requireValid(b.vectorSchema);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("vectorSchema (AGENTSTORE_VECTOR_SCHEMA): " + e.getMessage());
        }
        if (b.poolerMode == PoolerMode.TRANSACTION && b.autoMigrate
                && (b.directUrl == null || b.directUrl.isBlank())) {
            throw new InvalidInputException("poolerMode (AGENTSTORE_DB_POOLER_MODE) is transaction and autoMigrate"
                    + " (AGENTSTORE_AUTO_MIGRATE) is true, but directUrl (AGENTSTORE_DB_DIRECT_URL) is not set:"
                    + " migrations hold a session-level lock and build indexes outside a transaction, so they need a"
                    + " connection to the server that bypasses the pooler; set directUrl, or autoMigrate=false and"
                    + " migrate with a direct connection");
        }
        if (b.poolMaxSize < 1 || b.poolMaxSize > 1000) {
            throw new InvalidInputException("poolMaxSize (AGENTSTORE_POOL_MAX_SIZE) must be between 1 and 1000, was "
                    + b.poolMaxSize);
        }
        if (b.poolMinIdle < 0 || b.poolMinIdle > b.poolMaxSize) {
            throw new InvalidInputException("poolMinIdle (AGENTSTORE_POOL_MIN_IDLE) must be between 0 and poolMaxSize ("
                    + b.poolMaxSize + "), was " + b.poolMinIdle);
        }
        ConfigurationCache.requireMaxSize(b.configCacheMaxSize);
        ConfigurationCache.requireTtl(b.configCacheTtl);

        JsonLimits limits;
        try {
            limits = JsonLimits.fromProperties(b.jsonLimits);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(e.getMessage() + " (jsonLimits, AGENTSTORE_JSON_MAX_* variables)", e);
        }
        return new StoreSettings(b.poolConnectionTimeout, validSchema, b.poolMaxSize, b.poolMinIdle, b.autoMigrate,
                b.indexOptions, b.clock, b.configCacheMaxSize, b.configCacheTtl, limits,
                BlobRepository.requireMaxSize(b.blobMaxSize), validVectorSchema);
    }

    /**
     * @return the settings as the end of {@link AgentStoreConfig#toString()}, {@code poolConnectionTimeout=…} to
     *         {@code vectorSchema=…}
     */
    @Override
    public String toString() {
        return "poolConnectionTimeout=" + ConnectionSettings.format(poolConnectionTimeout)
                + ", schema=" + schema + ", poolMaxSize=" + poolMaxSize + ", poolMinIdle=" + poolMinIdle
                + ", autoMigrate=" + autoMigrate + ", " + indexOptions + ", configCacheMaxSize=" + configCacheMaxSize
                + ", configCacheTtl=" + configCacheTtl + ", jsonLimits=" + jsonLimits + ", blobMaxSize=" + blobMaxSize
                + ", vectorSchema=" + vectorSchema;
    }
}
