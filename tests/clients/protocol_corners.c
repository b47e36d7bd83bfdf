/* protocol_corners.c — an independent client (libmariadb, the C connector) that drives the
 * protocol corners the Rust client crate cannot: server-side cursors with COM_STMT_FETCH,
 * COM_STMT_SEND_LONG_DATA, COM_STMT_RESET, COM_FIELD_LIST, COM_SET_OPTION and COM_STATISTICS.
 * It prints one `name=value` line per check; tests/protocol_corners.rs runs it against the primary
 * and through sluice and compares. usage: protocol_corners PORT TABLE */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MYSQL *m;

static void die(const char *what, const char *err) {
    printf("error_%s=%s\n", what, err);
    exit(1);
}

static void query(const char *sql) {
    if (mysql_query(m, sql)) die("query", mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    if (r) mysql_free_result(r);
}

static void cursor_fetch(void) {
    MYSQL_STMT *st = mysql_stmt_init(m);
    const char *q = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5";
    if (mysql_stmt_prepare(st, q, strlen(q))) die("cursor_prepare", mysql_stmt_error(st));
    unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 2;
    mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
    mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
    if (mysql_stmt_execute(st)) die("cursor_execute", mysql_stmt_error(st));
    long long v = 0, sum = 0;
    int n = 0, r;
    MYSQL_BIND b;
    memset(&b, 0, sizeof b);
    b.buffer_type = MYSQL_TYPE_LONGLONG;
    b.buffer = &v;
    mysql_stmt_bind_result(st, &b);
    while ((r = mysql_stmt_fetch(st)) == 0) { sum += v; n++; }
    if (r != MYSQL_NO_DATA) die("cursor_fetch", mysql_stmt_error(st));
    printf("cursor_rows=%d\ncursor_sum=%lld\n", n, sum);
    /* re-execute the same cursor statement after a reset */
    if (mysql_stmt_reset(st)) die("stmt_reset", mysql_stmt_error(st));
    if (mysql_stmt_execute(st)) die("cursor_execute2", mysql_stmt_error(st));
    n = 0;
    while ((r = mysql_stmt_fetch(st)) == 0) n++;
    printf("cursor_rows_after_reset=%d\n", n);
    mysql_stmt_close(st);
}

static void long_data(const char *table) {
    char sql[256];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    query(sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY, b LONGBLOB)", table);
    query(sql);
    MYSQL_STMT *st = mysql_stmt_init(m);
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?, ?)", table);
    if (mysql_stmt_prepare(st, sql, strlen(sql))) die("long_prepare", mysql_stmt_error(st));
    int id = 7;
    MYSQL_BIND p[2];
    memset(p, 0, sizeof p);
    p[0].buffer_type = MYSQL_TYPE_LONG;
    p[0].buffer = &id;
    p[1].buffer_type = MYSQL_TYPE_LONG_BLOB;
    mysql_stmt_bind_param(st, p);
    size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    unsigned long long total = 0, check = 0;
    for (int i = 0; i < 3; i++) {
        for (size_t j = 0; j < chunk; j++) { buf[j] = (char)('a' + (i + j) % 26); check += (unsigned char)buf[j]; }
        if (mysql_stmt_send_long_data(st, 1, buf, chunk)) die("send_long_data", mysql_stmt_error(st));
        total += chunk;
    }
    free(buf);
    if (mysql_stmt_execute(st)) die("long_execute", mysql_stmt_error(st));
    printf("long_data_affected=%llu\n", (unsigned long long)mysql_stmt_affected_rows(st));
    mysql_stmt_close(st);
    snprintf(sql, sizeof sql, "SELECT LENGTH(b), SHA2(b, 256) FROM %s WHERE id = 7", table);
    if (mysql_query(m, sql)) die("long_select", mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    printf("long_data_length=%s\nlong_data_expected=%llu\nlong_data_sha256=%s\n", row[0], total, row[1]);
    (void)check;
    mysql_free_result(r);
}

static void field_list(const char *table) {
    MYSQL_RES *r = mysql_list_fields(m, table, NULL);
    if (!r) die("field_list", mysql_error(m));
    unsigned int n = mysql_num_fields(r);
    MYSQL_FIELD *f = mysql_fetch_fields(r);
    printf("field_list_count=%u\n", n);
    for (unsigned int i = 0; i < n; i++) printf("field_list_%u=%s\n", i, f[i].name);
    mysql_free_result(r);
}

static void set_option(void) {
    if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF)) die("set_option_off", mysql_error(m));
    int refused = mysql_query(m, "SELECT 1; SELECT 2") != 0;
    printf("multi_off_refused=%d\n", refused);
    if (!refused) { MYSQL_RES *r = mysql_store_result(m); if (r) mysql_free_result(r); }
    if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON)) die("set_option_on", mysql_error(m));
    if (mysql_query(m, "SELECT 1; SELECT 2")) die("multi_on", mysql_error(m));
    int sets = 0;
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (r) { sets++; mysql_free_result(r); }
    } while (mysql_next_result(m) == 0);
    printf("multi_on_sets=%d\n", sets);
}

static void statistics(void) {
    const char *s = mysql_stat(m);
    printf("statistics_starts_with_uptime=%d\n", s != NULL && strncmp(s, "Uptime", 6) == 0);
    if (mysql_ping(m)) die("ping", mysql_error(m));
    printf("ping=ok\n");
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s PORT TABLE\n", argv[0]); return 2; }
    m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "app", "app", "sluice_test", (unsigned)atoi(argv[1]), NULL,
                            CLIENT_MULTI_STATEMENTS))
        die("connect", mysql_error(m));
    cursor_fetch();
    long_data(argv[2]);
    field_list(argv[2]);
    set_option();
    statistics();
    mysql_close(m);
    printf("done=1\n");
    return 0;
}
