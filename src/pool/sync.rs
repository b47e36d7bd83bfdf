//! Bringing a backend connection in line with what a session wants before a statement runs on
//! it: the multi-statements option (COM_SET_OPTION), the schema (COM_INIT_DB), the session
//! settings it lacks (the session's `SET` statements, in order) and, when asked, the session's
//! `LAST_INSERT_ID()`. The commands are written in one
//! batch and their replies read in order, so catching up costs one round trip. It must not choose
//! connections.

use std::rc::Rc;

use super::state::{settings_suffix, ConnState, Wanted};
use super::BackendConn;
use crate::error::MysqlError;
use crate::net::Stream;
use crate::protocol::constants::com;
use crate::protocol::packet::write_small_packet;
use crate::protocol::reply::{ReplyKind, ReplyTracker};
use crate::wire::{drain_reply, WireError};

/// `COM_SET_OPTION` values.
const MULTI_STATEMENTS_ON: u16 = 0;
const MULTI_STATEMENTS_OFF: u16 = 1;

/// Turns on, on a new connection, the server's report of any session-state change (so a change
/// the classifier did not see, a stored procedure's `SET @x`, a temporary table, still marks it),
/// of session variables' new values (so a session's `SET`s are replayed as the values the server
/// computed, not re-evaluated elsewhere), and of each commit's GTID in the OK packet that ends it
/// (commit tracking for the `session` and `global` consistency levels; MariaDB reports it as the
/// `last_gtid` variable). One statement per flavour.
///
/// MariaDB reports every variable (`'*'`). MySQL's `'*'` would also report `statement_id`, which
/// changes with every statement, on every OK: it gets the list of variables applications set
/// (`SET`s of others are replayed from their text, as before; unknown names only warn).
const TRACK_MYSQL: &[u8] = b"SET SESSION session_track_state_change = ON, \
    session_track_gtids = OWN_GTID, session_track_system_variables = '\
    autocommit,character_set_client,character_set_connection,character_set_results,\
    collation_connection,time_zone,sql_mode,transaction_isolation,transaction_read_only,\
    wait_timeout,interactive_timeout,net_read_timeout,net_write_timeout,max_execution_time,\
    sql_select_limit,group_concat_max_len,lc_time_names,lc_messages,div_precision_increment,\
    default_week_format,sql_auto_is_null,sql_safe_updates,sql_big_selects,max_join_size,\
    big_tables,optimizer_switch,optimizer_search_depth,optimizer_prune_level,long_query_time,\
    innodb_lock_wait_timeout,lock_wait_timeout,foreign_key_checks,unique_checks,sql_notes,\
    sql_warnings,sql_quote_show_create,max_sort_length,sort_buffer_size,join_buffer_size,\
    read_buffer_size,read_rnd_buffer_size,tmp_table_size,max_heap_table_size,\
    auto_increment_increment,auto_increment_offset,block_encryption_mode,completion_type,\
    cte_max_recursion_depth,default_collation_for_utf8mb4,default_storage_engine,\
    default_tmp_storage_engine,end_markers_in_json,eq_range_index_dive_limit,\
    explicit_defaults_for_timestamp,information_schema_stats_expiry,max_error_count,\
    max_seeks_for_key,max_sp_recursion_depth,range_optimizer_max_mem_size,\
    updatable_views_with_limit,windowing_use_high_precision,sql_require_primary_key,\
    sql_generate_invisible_primary_key,select_into_buffer_size'";
const TRACK_MARIADB: &[u8] = b"SET SESSION session_track_state_change = ON, \
    session_track_system_variables = '*'";

/// Why a connection could not be brought in line.
#[derive(Debug)]
pub enum SyncError {
    /// The connection failed: it must be closed.
    Wire(WireError),
    /// The server refused a command (the connection is in an unknown state: close it).
    Refused(MysqlError),
}

/// What one queued command is, to read its reply.
#[derive(Clone, Copy)]
enum Step {
    Query,
    Single,
}

/// Brings `conn` in line with `want` (see the module doc). `fresh`: the connection was just
/// opened and gets the tracking switches first. A connection marked with
/// [`ConnState::reset_for`] is reset on the server first (in the same batch).
pub async fn sync<S: Stream>(
    conn: &mut BackendConn<S>,
    state: &mut ConnState,
    want: &Wanted<'_>,
    fresh: bool,
) -> Result<(), SyncError> {
    let Some(missing) = settings_suffix(&state.settings, want.settings) else {
        return Err(SyncError::Refused(MysqlError::new(
            crate::error::codes::MALFORMED_PACKET,
            "HY000",
            "internal: connection settings are not a prefix of the session's",
        )));
    };
    let mut out = Vec::new();
    let mut steps = Vec::new();
    // Statements the connection no longer needs (COM_STMT_CLOSE has no reply).
    let schema_changes = want
        .schema
        .is_some_and(|s| state.schema.as_ref() != Some(s));
    if schema_changes {
        let stale = state.forget_prepared();
        state.closing.extend(stale);
    }
    for id in state.closing.drain(..) {
        write_small_packet(&mut out, 0, |p| {
            p.push(com::STMT_CLOSE);
            p.extend_from_slice(&id.to_le_bytes());
        });
    }
    let reset = std::mem::take(&mut state.reset);
    if reset {
        write_small_packet(&mut out, 0, |p| p.push(com::RESET_CONNECTION));
        steps.push(Step::Single);
        // MySQL resets the character set to the server's default, not the login's.
        let c = conn.collation;
        let sql = format!(
            "SET character_set_client = {c}, character_set_results = {c}, \
             collation_connection = {c}"
        );
        queue_query(&mut out, sql.as_bytes());
        steps.push(Step::Query);
    }
    // A reset turns the tracking switches back to the server's defaults too.
    let track =
        (fresh || reset) && conn.capabilities & crate::protocol::constants::cap::SESSION_TRACK != 0;
    if track {
        let sql = match conn.flavor() {
            crate::gtid::Flavor::MySql => TRACK_MYSQL,
            crate::gtid::Flavor::MariaDb => TRACK_MARIADB,
        };
        queue_query(&mut out, sql);
        steps.push(Step::Query);
    }
    if state.multi_statements != want.multi_statements {
        let option = if want.multi_statements {
            MULTI_STATEMENTS_ON
        } else {
            MULTI_STATEMENTS_OFF
        };
        write_small_packet(&mut out, 0, |p| {
            p.push(com::SET_OPTION);
            p.extend_from_slice(&option.to_le_bytes());
        });
        steps.push(Step::Single);
    }
    if let Some(schema) = want.schema.filter(|_| schema_changes) {
        write_small_packet(&mut out, 0, |p| {
            p.push(com::INIT_DB);
            p.extend_from_slice(schema);
        });
        steps.push(Step::Single);
    }
    for stmt in missing {
        queue_query(&mut out, stmt);
        steps.push(Step::Query);
    }
    // A SELECT rather than a SET: it leaves `ROW_COUNT()` at -1, as after the read that most
    // likely came before (a write would have kept its connection).
    if let Some(id) = want
        .last_insert_id
        .filter(|id| *id != state.last_insert_id || reset)
    {
        queue_query(&mut out, format!("SELECT LAST_INSERT_ID({id})").as_bytes());
        steps.push(Step::Query);
    }
    if steps.is_empty() {
        if !out.is_empty() {
            conn.conn.write_all(&out).await.map_err(SyncError::Wire)?;
        }
        return Ok(());
    }
    conn.conn.write_all(&out).await.map_err(SyncError::Wire)?;
    let mut refused = None;
    for step in steps {
        let kind = match step {
            Step::Query => ReplyKind::ResultSets,
            Step::Single => ReplyKind::Single,
        };
        let mut tracker = ReplyTracker::new(kind, conn.capabilities);
        let (outcome, err) = drain_reply(&mut conn.conn, &mut tracker)
            .await
            .map_err(SyncError::Wire)?;
        if outcome.error && refused.is_none() {
            refused = Some(err.unwrap_or_else(|| {
                MysqlError::new(1105, "HY000", "the backend refused a session setting")
            }));
        }
    }
    if let Some(e) = refused {
        return Err(SyncError::Refused(e));
    }
    state.multi_statements = want.multi_statements;
    if schema_changes {
        state.schema = want.schema.cloned();
    }
    state.settings = Rc::clone(want.settings);
    if let Some(id) = want.last_insert_id {
        state.last_insert_id = id;
    }
    Ok(())
}

fn queue_query(out: &mut Vec<u8>, sql: &[u8]) {
    write_small_packet(out, 0, |p| {
        p.push(com::QUERY);
        p.extend_from_slice(sql);
    });
}
