package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed database URL of {@link AgentStoreConfig}: the JDBC URL without query, the user and password of a DSN, and
 * the decoded parameters in order. A JDBC URL's parameter values are form-decoded as pgjdbc does ({@code +} is a
 * space); a DSN (libpq's URI form) is percent-decoded as a URI ({@code +} stays {@code +}), and its libpq parameter
 * names {@code application_name} and {@code connect_timeout} become pgjdbc's {@code ApplicationName} and
 * {@code connectTimeout}. The password is kept out of every message and out of {@link #toString()}.
 *
 * @param base       the JDBC URL without query: {@code jdbc:postgresql://host:port[,host:port…]/database}
 * @param user       the DSN's user, or {@code null}
 * @param password   the DSN's password, or {@code null}; a secret
 * @param parameters the URL's query parameters, decoded, in their order
 */
record ConnectionUrl(String base, String user, String password, Map<String, String> parameters) {

    /**
     * @return {@code url} parsed when it is given (not blank), else the JDBC URL of the discrete {@code host},
     *         {@code port} and {@code database}, which are then required, as is {@code user}
     * @throws InvalidInputException naming the first invalid or missing part (never the password)
     */
    static ConnectionUrl of(String url, String host, Integer port, String database, String user) {
        if (url != null && !url.isBlank()) {
            return parse(url.trim());
        }
        if (host == null || host.isBlank()) {
            throw new InvalidInputException("host (AGENTSTORE_DB_HOST) must not be blank");
        }
        if (port == null || port < 1 || port > 65535) {
            throw new InvalidInputException("port (AGENTSTORE_DB_PORT) must be between 1 and 65535, was " + port);
        }
        if (database == null || database.isBlank()) {
            throw new InvalidInputException("database (AGENTSTORE_DB_NAME) is required when no url"
                    + " (AGENTSTORE_DB_URL) is given");
        }
        if (user == null || user.isBlank()) {
            throw new InvalidInputException("user (AGENTSTORE_DB_USER) is required when no url"
                    + " (AGENTSTORE_DB_URL) is given");
        }
        return new ConnectionUrl("jdbc:postgresql://" + host.trim() + ":" + port + "/" + encodePath(database.trim()),
                null, null, new LinkedHashMap<>());
    }

    static ConnectionUrl parse(String url) {
        if (url.startsWith("jdbc:postgresql:")) {
            int q = url.indexOf('?');
            Map<String, String> parameters = new LinkedHashMap<>();
            if (q >= 0) {
                for (String pair : url.substring(q + 1).split("&")) {
                    if (!pair.isEmpty()) {
                        String[] kv = pair.split("=", 2);
                        // pgjdbc decodes parameter values with URLDecoder (form decoding: '+' is a space)
                        parameters.put(kv[0], kv.length == 2 ? decode(kv[0], kv[1], false) : "");
                    }
                }
            }
            return new ConnectionUrl(q < 0 ? url : url.substring(0, q), null, null, parameters);
        }
        if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            return parseDsn(url.substring(url.indexOf("://") + 3));
        }
        throw new InvalidInputException("url (AGENTSTORE_DB_URL) must start with jdbc:postgresql:, postgres://"
                + " or postgresql://");
    }

    /** libpq's URI form: {@code [user[:password]@]host[:port][,host[:port]…]/database[?name=value&…]}. */
    private static ConnectionUrl parseDsn(String rest) {
        if (rest.indexOf('#') >= 0 || rest.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            // never quote the input: it may hold a password
            throw new InvalidInputException("url (AGENTSTORE_DB_URL) must not contain '#', spaces or control"
                    + " characters; percent-encode them (%23, %20)");
        }
        int q = rest.indexOf('?');
        String query = q < 0 ? null : rest.substring(q + 1);
        String beforeQuery = q < 0 ? rest : rest.substring(0, q);
        int slash = beforeQuery.indexOf('/');
        String authority = slash < 0 ? beforeQuery : beforeQuery.substring(0, slash);
        String path = slash < 0 ? "" : beforeQuery.substring(slash + 1);
        int at = authority.lastIndexOf('@');
        String userInfo = at < 0 ? null : authority.substring(0, at);
        String hostList = authority.substring(at + 1);
        if (hostList.isEmpty()) {
            throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a host, as in postgres://user@host:5432/db");
        }
        List<String> hosts = new ArrayList<>();
        for (String h : hostList.split(",", -1)) {
            int colon = h.lastIndexOf(':');
            boolean hasPort = colon >= 0 && colon > h.lastIndexOf(']');
            String name = hasPort ? h.substring(0, colon) : h;
            String port = hasPort ? h.substring(colon + 1) : Integer.toString(AgentStoreConfig.DEFAULT_PORT);
            if (!name.matches("[A-Za-z0-9._\\-]+|\\[[0-9A-Fa-f:.%a-z]+]")
                    || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                // the host part never holds the password (that is before the '@'), so it can be quoted
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) has an invalid host or port '" + h
                        + "'; expected host[:port], as in postgres://user@host:5432/db");
            }
            hosts.add(name + ":" + port);
        }
        String database = decode("database", path, true);
        if (database.isBlank()) {
            throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a database, as in postgres://user@host:5432/db");
        }
        String user = null;
        String password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode("user", colon < 0 ? userInfo : userInfo.substring(0, colon), true);
            password = colon < 0 ? null : decode("password", userInfo.substring(colon + 1), true);
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (!pair.isEmpty()) {
                    String[] kv = pair.split("=", 2);
                    String name = decode("a parameter name", kv[0], true);
                    String value = kv.length == 2 ? decode(name, kv[1], true) : "";
                    parameters.put(switch (name) {
                        case "application_name" -> "ApplicationName";
                        case "connect_timeout" -> "connectTimeout";
                        default -> name;
                    }, value);
                }
            }
        }
        return new ConnectionUrl("jdbc:postgresql://" + String.join(",", hosts) + "/" + encodePath(database), user,
                password, parameters);
    }

    /**
     * @param kept the parameters to keep in the URL, in order
     * @return {@link #base()} with {@code kept} as its query, each value encoded the way pgjdbc decodes it
     */
    String withParameters(Map<String, String> kept) {
        StringBuilder jdbcUrl = new StringBuilder(base);
        char sep = '?';
        for (Map.Entry<String, String> p : kept.entrySet()) {
            jdbcUrl.append(sep).append(p.getKey()).append('=').append(encode(p.getValue()));
            sep = '&';
        }
        return jdbcUrl.toString();
    }

    /**
     * @param what  what is decoded, for the message (never the value: it may be a secret)
     * @param uri   true for URI percent-decoding ({@code +} stays {@code +}), false for pgjdbc's form decoding
     */
    private static String decode(String what, String value, boolean uri) {
        try {
            return URLDecoder.decode(uri ? value.replace("+", "%2B") : value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("url (AGENTSTORE_DB_URL) has a malformed %-escape in " + what);
        }
    }

    /**
     * Encodes a URL parameter value the way pgjdbc decodes it ({@link URLDecoder}, form encoding); {@code /},
     * {@code :} and {@code ,} stay as they are, so that file paths stay readable.
     */
    private static String encode(String value) {
        return encodePath(value).replace("%2F", "/").replace("%3A", ":").replace("%2C", ",");
    }

    /** Encodes a database name for the path of a JDBC URL, which pgjdbc decodes with {@link URLDecoder}. */
    private static String encodePath(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ConnectionUrl[" + base + "]";
    }
}
