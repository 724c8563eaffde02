package dev.agentstore.persistence;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The effective connection of an {@link AgentStoreConfig}: its builder's settings and its URL's parameters composed,
 * by the rules below (URL parameters, secrets), into the JDBC URL, the login, and the pgjdbc
 * connection properties of every pool connection. These carry the PostgreSQL settings agentstore sets per connection
 * ({@code statement_timeout}, {@code lock_timeout}, {@code idle_in_transaction_session_timeout}, as {@code -c}
 * switches in pgjdbc's {@code options}); the URL's own {@code options} must not set those three, nor may the URL set
 * {@code currentSchema}, which the store derives from the schema.
 *
 * <p><b>URL parameters.</b> Every query parameter of the URL reaches pgjdbc (a DSN's libpq names
 * {@code application_name} and {@code connect_timeout} are translated to pgjdbc's {@code ApplicationName} and
 * {@code connectTimeout}; percent-escapes are decoded as in a URI, so {@code +} stays {@code +}). Parameters that
 * are also settings of {@link AgentStoreConfig} ({@code sslmode}, pgjdbc's {@code ssl}, {@code connectTimeout},
 * {@code socketTimeout}) fill the setting when it is not set explicitly (builder or environment); when both are
 * given and differ, {@link AgentStoreConfig.Builder#build()} fails naming both, so that a URL can never silently
 * weaken the
 * configured TLS mode. The effective values are passed to the driver as connection properties, and removed from
 * the URL, whose parameters pgjdbc would otherwise let win.
 *
 * <p><b>Secrets.</b> The password and every parameter whose name contains {@code password} (such as pgjdbc's
 * {@code sslpassword}) are taken out of the URL and passed as connection properties: they are never part of
 * {@link AgentStoreConfig#jdbcUrl()}, {@link AgentStoreConfig#toString()}, an exception message or a log line of
 * agentstore, HikariCP or pgjdbc.
 *
 * <p>{@link #toString()} masks the password and the secret parameters. Immutable.
 *
 * @param jdbcUrl                         see {@link AgentStoreConfig#jdbcUrl()}; holds no secret
 * @param user                            the effective user, or {@code null}
 * @param password                        the effective password, or {@code null}; a secret
 * @param sslMode                         the effective TLS mode, or {@code null} for pgjdbc's default
 * @param driverProperties                the pgjdbc properties that are not secret, in order
 * @param secretProperties                the secret URL parameters, in order
 * @param connectTimeout                  see {@link AgentStoreConfig#connectTimeout()}
 * @param socketTimeout                   see {@link AgentStoreConfig#socketTimeout()}
 * @param statementTimeout                see {@link AgentStoreConfig#statementTimeout()}
 * @param lockTimeout                     see {@link AgentStoreConfig#lockTimeout()}
 * @param idleInTransactionSessionTimeout see {@link AgentStoreConfig#idleInTransactionSessionTimeout()}
 * @param poolerMode                      see {@link AgentStoreConfig#poolerMode()}; behind a transaction pooler the
 *                                        three PostgreSQL timeouts are not sent (PgBouncer refuses {@code options})
 */
record ConnectionSettings(String jdbcUrl, String user, String password, SslMode sslMode,
                          Map<String, String> driverProperties, Map<String, String> secretProperties,
                          Duration connectTimeout, Duration socketTimeout, Duration statementTimeout,
                          Duration lockTimeout, Duration idleInTransactionSessionTimeout, PoolerMode poolerMode) {

    /** The PostgreSQL settings agentstore sets per connection; the URL's {@code options} must not set them. */
    private static final Pattern OWNED_GUC = Pattern.compile(
            "(?i)\\b(statement_timeout|lock_timeout|idle_in_transaction_session_timeout)\\s*=");

    /**
     * Validates the connection settings and every timeout of {@code b} (the pool's {@code poolConnectionTimeout}
     * included) and composes them with its URL's parameters.
     *
     * @throws InvalidInputException naming the first invalid or missing setting (never a password), or both settings
     *                               when the URL and a setting disagree
     */
    static ConnectionSettings compose(AgentStoreConfig.Builder b) {
        return compose(b, ConnectionUrl.of(b.url, b.host, b.port, b.database, b.user), b.user, b.password,
                b.poolerMode);
    }

    /**
     * @return the settings of {@code b}'s {@code directUrl} (the server without the pooler, for migrations and index
     *         maintenance): its own user and password when it names a user, else {@code b}'s; the timeouts and TLS
     *         mode of {@code b}; {@link PoolerMode#NONE}; {@code null} when no direct URL is set
     * @throws InvalidInputException naming the first invalid setting, as {@link #compose(AgentStoreConfig.Builder)}
     */
    static ConnectionSettings composeDirect(AgentStoreConfig.Builder b) {
        if (b.directUrl == null || b.directUrl.isBlank()) {
            return null;
        }
        ConnectionUrl parsed = ConnectionUrl.of(b.directUrl, null, null, null, null);
        boolean ownLogin = parsed.user() != null || parsed.parameters().containsKey("user");
        return compose(b, parsed, ownLogin ? null : b.user, ownLogin ? null : b.password, PoolerMode.NONE);
    }

    private static ConnectionSettings compose(AgentStoreConfig.Builder b, ConnectionUrl parsed, String user,
                                              String password, PoolerMode poolerMode) {
        String effectiveUser = user != null ? user : parsed.user();
        String effectivePassword = password != null ? password : parsed.password();

        Map<String, String> kept = new LinkedHashMap<>();
        Map<String, String> secrets = new LinkedHashMap<>();
        SslMode urlSsl = null;
        String sslParameter = null;
        Duration urlConnect = null;
        Duration urlSocket = null;
        String options = null;
        for (Map.Entry<String, String> p : parsed.parameters().entrySet()) {
            String name = p.getKey();
            String value = p.getValue();
            if (name.equals("user")) {
                effectiveUser = user != null ? user : value;
            } else if (name.equals("password")) {
                effectivePassword = password != null ? password : value;
            } else if (name.toLowerCase(Locale.ROOT).contains("password")) {
                secrets.put(name, value);
            } else if (name.equals("sslmode")) {
                urlSsl = SslMode.parse("sslmode in the url (AGENTSTORE_DB_URL)", value);
            } else if (name.equals("ssl")) {
                sslParameter = value;
            } else if (name.equals("connectTimeout")) {
                urlConnect = parseUrlSeconds("connectTimeout", value);
            } else if (name.equals("socketTimeout")) {
                urlSocket = parseUrlSeconds("socketTimeout", value);
            } else if (name.equals("options")) {
                Matcher m = OWNED_GUC.matcher(value);
                if (m.find()) {
                    String guc = m.group(1).toLowerCase(Locale.ROOT);
                    throw new InvalidInputException("the url (AGENTSTORE_DB_URL) sets " + guc + " in options; set "
                            + settingOf(guc) + " instead");
                }
                options = value;
            } else if (name.equals("currentSchema")) {
                throw new InvalidInputException("the url (AGENTSTORE_DB_URL) sets currentSchema; set schema"
                        + " (AGENTSTORE_DB_SCHEMA) instead");
            } else {
                kept.put(name, value);
            }
        }

        // pgjdbc: sslmode wins over ssl; ssl=true (or a bare ssl) without sslmode means verify-full
        if (urlSsl == null && sslParameter != null
                && (sslParameter.isEmpty() || sslParameter.equalsIgnoreCase("true"))) {
            urlSsl = SslMode.VERIFY_FULL;
        }
        if (b.sslMode != null && urlSsl != null && b.sslMode != urlSsl) {
            throw new InvalidInputException("sslMode (AGENTSTORE_DB_SSLMODE) is " + b.sslMode.value()
                    + " but the url (AGENTSTORE_DB_URL) says sslmode=" + urlSsl.value()
                    + "; remove one of them or make them agree");
        }
        SslMode effectiveSsl = b.sslMode != null ? b.sslMode : urlSsl;
        if (effectiveSsl != null && effectiveSsl.verifiesCertificate()
                && "org.postgresql.ssl.NonValidatingFactory".equals(kept.get("sslfactory"))) {
            throw new InvalidInputException("sslfactory=org.postgresql.ssl.NonValidatingFactory in the url"
                    + " (AGENTSTORE_DB_URL) turns off the certificate check that sslMode " + effectiveSsl.value()
                    + " asks for; remove it");
        }
        Duration effectiveConnect = agree("connectTimeout", "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", b.connectTimeout,
                urlConnect, AgentStoreConfig.DEFAULT_CONNECT_TIMEOUT);
        Duration effectiveSocket = agree("socketTimeout", "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", b.socketTimeout,
                urlSocket, AgentStoreConfig.DEFAULT_SOCKET_TIMEOUT);
        requireTimeouts(b, effectiveConnect, effectiveSocket);

        Map<String, String> driver = new LinkedHashMap<>();
        if (effectiveSsl != null) {
            driver.put("sslmode", effectiveSsl.value());
        }
        driver.put("connectTimeout", Long.toString(effectiveConnect.toSeconds()));
        driver.put("socketTimeout", Long.toString(effectiveSocket.toSeconds()));
        List<String> gucs = new ArrayList<>();
        if (options != null && !options.isBlank()) {
            gucs.add(options.trim());
        }
        if (poolerMode == PoolerMode.NONE) {
            addGuc(gucs, "statement_timeout", b.statementTimeout);
            addGuc(gucs, "lock_timeout", b.lockTimeout);
            addGuc(gucs, "idle_in_transaction_session_timeout", b.idleInTransactionSessionTimeout);
        } else {
            // no server-side prepared statements: a pooler in transaction mode may run the next execution of a
            // statement on a server connection that never prepared it (PgBouncer before 1.21); the URL may set it
            driver.put("prepareThreshold", "0");
        }
        if (!gucs.isEmpty()) {
            driver.put("options", String.join(" ", gucs));
        }
        return new ConnectionSettings(parsed.withParameters(kept), effectiveUser, effectivePassword, effectiveSsl,
                Collections.unmodifiableMap(driver), Collections.unmodifiableMap(secrets), effectiveConnect,
                effectiveSocket, b.statementTimeout, b.lockTimeout, b.idleInTransactionSessionTimeout, poolerMode);
    }

    private static void requireTimeouts(AgentStoreConfig.Builder b, Duration effectiveConnect,
                                        Duration effectiveSocket) {
        requireSeconds("connectTimeout", "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", effectiveConnect);
        requireSeconds("socketTimeout", "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", effectiveSocket);
        requireMillis("statementTimeout", "AGENTSTORE_DB_STATEMENT_TIMEOUT_MS", b.statementTimeout);
        requireMillis("lockTimeout", "AGENTSTORE_DB_LOCK_TIMEOUT_MS", b.lockTimeout);
        requireMillis("idleInTransactionSessionTimeout", "AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                b.idleInTransactionSessionTimeout);
        requireMillis("poolConnectionTimeout", "AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS", b.poolConnectionTimeout);
        if (!b.poolConnectionTimeout.isZero() && b.poolConnectionTimeout.toMillis() < 250) {
            throw new InvalidInputException("poolConnectionTimeout (AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS) must be 0"
                    + " (no limit) or at least 250 ms, was " + b.poolConnectionTimeout.toMillis() + " ms");
        }
        if (!effectiveSocket.isZero() && !b.statementTimeout.isZero()
                && effectiveSocket.compareTo(b.statementTimeout) <= 0) {
            throw new InvalidInputException("socketTimeout (AGENTSTORE_DB_SOCKET_TIMEOUT_MS, "
                    + effectiveSocket.toMillis() + " ms) must be longer than statementTimeout"
                    + " (AGENTSTORE_DB_STATEMENT_TIMEOUT_MS, " + b.statementTimeout.toMillis() + " ms), so that the"
                    + " server cancels a slow statement before the client gives up the connection; or 0");
        }
    }

    /**
     * The pgjdbc connection properties of every pool connection, secrets included: {@code sslmode},
     * {@code connectTimeout}, {@code socketTimeout}, {@code options} (with the PostgreSQL timeouts) and the
     * secret URL parameters. Not the user and password, which the pool passes itself.
     */
    Properties connectionProperties() {
        Properties p = new Properties();
        p.putAll(driverProperties);
        p.putAll(secretProperties);
        return p;
    }

    /**
     * @param text a message that may quote connection details
     * @return {@code text} with the password and every secret parameter value (of 4 characters or more) masked
     */
    String redact(String text) {
        if (text == null) {
            return null;
        }
        List<String> secrets = new ArrayList<>(secretProperties.values());
        if (password != null) {
            secrets.add(password);
        }
        String out = text;
        for (String secret : secrets) {
            if (secret.length() >= 4) {
                out = out.replace(secret, "****");
            }
        }
        return out;
    }

    /**
     * @return the effective TLS mode as a sentence part, for messages: {@code verify-full} or
     *         {@code prefer (driver default)}
     */
    String sslModeDescription() {
        return sslMode == null ? "prefer (driver default)" : sslMode.value();
    }

    /**
     * @return the settings as the start of {@link AgentStoreConfig#toString()}, {@code jdbcUrl=…} to
     *         {@code idleInTransactionSessionTimeout=…}: the password and the secret parameters' values as
     *         {@code ****}
     */
    @Override
    public String toString() {
        return "jdbcUrl=" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "<none>" : "****")
                + (secretProperties.isEmpty() ? "" : ", " + String.join("=****, ", secretProperties.keySet()) + "=****")
                + ", sslMode=" + sslModeDescription() + ", connectTimeout=" + format(connectTimeout)
                + ", socketTimeout=" + format(socketTimeout) + ", statementTimeout=" + format(statementTimeout)
                + ", lockTimeout=" + format(lockTimeout) + ", idleInTransactionSessionTimeout="
                + format(idleInTransactionSessionTimeout) + ", poolerMode=" + poolerMode.value();
    }

    /** @return {@code d} for {@link #toString()}: {@code none} for zero, else whole seconds or milliseconds */
    static String format(Duration d) {
        long ms = d.toMillis();
        return ms == 0 ? "none" : ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    private static String settingOf(String guc) {
        return switch (guc) {
            case "statement_timeout" -> "statementTimeout (AGENTSTORE_DB_STATEMENT_TIMEOUT_MS)";
            case "lock_timeout" -> "lockTimeout (AGENTSTORE_DB_LOCK_TIMEOUT_MS)";
            default -> "idleInTransactionSessionTimeout (AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS)";
        };
    }

    private static void addGuc(List<String> gucs, String name, Duration value) {
        if (!value.isZero()) {
            gucs.add("-c " + name + "=" + value.toMillis());
        }
    }

    private static Duration agree(String setting, String variable, Duration configured, Duration fromUrl,
                                  Duration fallback) {
        if (configured != null && fromUrl != null && !configured.equals(fromUrl)) {
            throw new InvalidInputException(setting + " (" + variable + ") is " + configured.toMillis()
                    + " ms but the url (AGENTSTORE_DB_URL) says " + setting + "=" + fromUrl.toSeconds()
                    + " (seconds); remove one of them or make them agree");
        }
        return configured != null ? configured : fromUrl != null ? fromUrl : fallback;
    }

    private static Duration parseUrlSeconds(String name, String value) {
        try {
            return Duration.ofSeconds(Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name + " in the url (AGENTSTORE_DB_URL) must be whole seconds, was "
                    + Check.describe(value));
        }
    }

    private static void requireMillis(String setting, String variable, Duration value) {
        if (value.isNegative() || value.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0
                || value.getNano() % 1_000_000 != 0) {
            throw new InvalidInputException(setting + " (" + variable + ") must be whole milliseconds from 0 to "
                    + Integer.MAX_VALUE + " ms, was " + value);
        }
    }

    private static void requireSeconds(String setting, String variable, Duration value) {
        requireMillis(setting, variable, value);
        if (value.getNano() != 0) {
            throw new InvalidInputException(setting + " (" + variable + ") must be whole seconds (pgjdbc's unit),"
                    + " was " + value.toMillis() + " ms");
        }
    }
}
