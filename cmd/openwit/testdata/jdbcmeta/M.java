import java.sql.*;
import java.util.*;

// Prints a normalized dump of pgjdbc's DatabaseMetaData and
// ResultSetMetaData for the same two tables. TestClientPgjdbcMetadata runs
// it against a real PostgreSQL and against openwit and diffs the dumps.
// A call that throws prints "ERROR ..." in its section instead of rows.
public class M {
  static void dump(String title, ResultSet rs, String... cols) throws SQLException {
    System.out.println("## " + title);
    int n = 0;
    try (ResultSet r = rs) {
      while (r.next()) {
        StringBuilder b = new StringBuilder();
        for (String c : cols) {
          if (b.length() > 0) b.append(" | ");
          b.append(c).append('=').append(r.getString(c));
        }
        System.out.println(b);
        n++;
      }
    }
    System.out.println("rows=" + n);
  }
  interface Call { void run() throws Exception; }
  static void guard(String title, Call c) {
    try { c.run(); } catch (Exception e) {
      System.out.println("## " + title);
      System.out.println("ERROR " + e.getClass().getSimpleName() + ": " + e.getMessage().split("\n")[0]);
    }
  }
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/" + System.getenv("PGDATABASE") + "?user=" + System.getenv("PGUSER");
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE md_logs (ts timestamptz NOT NULL, service text, status int NOT NULL, latency float8, bytes bigint, code smallint, ratio real, ok boolean, price numeric(12,2), day date, at timestamp, attrs jsonb, raw bytea)");
        s.execute("CREATE TABLE md_other (id int)");
        s.execute("CREATE TABLE md_dflt (ts timestamptz NOT NULL DEFAULT now(), host text DEFAULT 'none', n int DEFAULT -1, w float8 DEFAULT 2 * pi(), ok boolean DEFAULT true, code varchar(8) DEFAULT 'x')");
        s.execute("CREATE VIEW md_errors AS SELECT ts, service, status, price FROM md_logs WHERE status >= 500");
      }
      DatabaseMetaData md = c.getMetaData();
      System.out.println("## product");
      System.out.println("name=" + md.getDatabaseProductName());
      System.out.println("major=" + md.getDatabaseMajorVersion());
      System.out.println("version=" + md.getDatabaseProductVersion());
      System.out.println("userIsConnectUser=" + md.getUserName().equals(System.getenv("PGUSER")));
      System.out.println("url=" + md.getURL().replaceAll(":[0-9]+/", ":PORT/").replaceAll("user=[a-z]+", "user=USER"));
      System.out.println("## supports");
      System.out.println("transactions=" + md.supportsTransactions());
      System.out.println("schemasInTableDefinitions=" + md.supportsSchemasInTableDefinitions());
      System.out.println("catalogsInTableDefinitions=" + md.supportsCatalogsInTableDefinitions());
      System.out.println("outerJoins=" + md.supportsOuterJoins());
      System.out.println("fullOuterJoins=" + md.supportsFullOuterJoins());
      System.out.println("unionAll=" + md.supportsUnionAll());
      System.out.println("groupBy=" + md.supportsGroupBy());
      System.out.println("resultSetForwardOnly=" + md.supportsResultSetType(ResultSet.TYPE_FORWARD_ONLY));
      System.out.println("identifierQuoteString=" + md.getIdentifierQuoteString());
      System.out.println("searchStringEscape=" + md.getSearchStringEscape());
      System.out.println("storesLowerCaseIdentifiers=" + md.storesLowerCaseIdentifiers());
      guard("catalogs", () -> dump("catalogs", md.getCatalogs(), "TABLE_CAT"));
      guard("schemas", () -> dump("schemas", md.getSchemas(), "TABLE_SCHEM", "TABLE_CATALOG"));
      guard("schemas public", () -> dump("schemas public", md.getSchemas(null, "pub%"), "TABLE_SCHEM"));
      guard("tableTypes", () -> dump("tableTypes", md.getTableTypes(), "TABLE_TYPE"));
      String[] tcols = {"TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"};
      guard("tables public", () -> dump("tables public", md.getTables(null, "public", "%", null), tcols));
      guard("tables TABLE", () -> dump("tables TABLE", md.getTables(null, null, "%", new String[]{"TABLE"}), tcols));
      guard("tables md_l%", () -> dump("tables md_l%", md.getTables(null, null, "md_l%", null), tcols));
      guard("tables VIEW", () -> dump("tables VIEW", md.getTables(null, "public", "%", new String[]{"VIEW"}), tcols));
      guard("tables pg_class", () -> dump("tables pg_class", md.getTables(null, "pg_catalog", "pg_class", null), tcols));
      guard("columns", () -> dump("columns", md.getColumns(null, "public", "md_%", "%"),
        "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "NULLABLE",
        "REMARKS", "COLUMN_DEF", "ORDINAL_POSITION", "IS_NULLABLE", "IS_AUTOINCREMENT", "IS_GENERATEDCOLUMN"));
      guard("columns st%", () -> dump("columns st%", md.getColumns(null, null, "md_logs", "st%"), "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME"));
      guard("primaryKeys", () -> dump("primaryKeys", md.getPrimaryKeys(null, "public", "md_logs"), "TABLE_NAME", "COLUMN_NAME", "PK_NAME"));
      guard("indexInfo", () -> dump("indexInfo", md.getIndexInfo(null, "public", "md_logs", false, true), "TABLE_NAME", "INDEX_NAME", "COLUMN_NAME"));
      guard("importedKeys", () -> dump("importedKeys", md.getImportedKeys(null, "public", "md_logs"), "PKTABLE_NAME", "FKCOLUMN_NAME"));
      guard("bestRowIdentifier", () -> dump("bestRowIdentifier", md.getBestRowIdentifier(null, "public", "md_logs", DatabaseMetaData.bestRowSession, true), "COLUMN_NAME"));
      guard("typeInfo", () -> {
        Set<String> want = new TreeSet<>(Arrays.asList("bool", "bytea", "date", "float4", "float8", "int2", "int4", "int8", "jsonb", "numeric", "text", "timestamp", "timestamptz"));
        Map<String, String> got = new TreeMap<>();
        try (ResultSet r = md.getTypeInfo()) {
          while (r.next()) if (want.contains(r.getString("TYPE_NAME"))) got.put(r.getString("TYPE_NAME"), r.getString("DATA_TYPE"));
        }
        System.out.println("## typeInfo");
        for (Map.Entry<String, String> e : got.entrySet()) System.out.println("TYPE_NAME=" + e.getKey() + " | DATA_TYPE=" + e.getValue());
      });
      guard("procedures", () -> { int n = 0; try (ResultSet r = md.getProcedures(null, "public", "%")) { while (r.next()) n++; } System.out.println("## procedures\nrows=" + n); });
      guard("functions", () -> { int n = 0; try (ResultSet r = md.getFunctions(null, "public", "%")) { while (r.next()) n++; } System.out.println("## functions\nrows=" + n); });
      guard("resultSetMetaData", () -> {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT ts, service AS svc, status, latency, price, price * 2 AS dbl, count(*) OVER () AS n, day, attrs, raw, ok FROM md_logs")) {
          ResultSetMetaData m = r.getMetaData();
          System.out.println("## resultSetMetaData");
          for (int i = 1; i <= m.getColumnCount(); i++) {
            System.out.println("label=" + m.getColumnLabel(i) + " | type=" + m.getColumnType(i) + " | typeName=" + m.getColumnTypeName(i)
              + " | precision=" + m.getPrecision(i) + " | scale=" + m.getScale(i) + " | class=" + m.getColumnClassName(i)
              + " | nullable=" + m.isNullable(i) + " | table=" + m.getTableName(i) + " | schema=" + m.getSchemaName(i));
          }
        }
      });
    }
  }
}
