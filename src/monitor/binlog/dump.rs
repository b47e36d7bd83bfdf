//! What a binlog follower says to a replica before events flow: the statement that announces it
//! understands checksums, asks for heartbeats and (MariaDB) states its GTID capability and start
//! position, and the dump command itself — MySQL `COM_BINLOG_DUMP_GTID` (0x1e) with the
//! replica's executed set in binary form, MariaDB `COM_BINLOG_DUMP` (0x12) after
//! `@slave_connect_state` — plus the follower's replication server id.
//!
//! It owns these byte layouts only (no I/O). It must not parse events or decide when to follow.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::gtid::{Flavor, MySqlGtidSet};
use crate::protocol::constants::com;

use super::error::BinlogError;

/// How often the replica sends a heartbeat event while it has nothing new (nanoseconds, as the
/// servers' `@master_heartbeat_period` wants).
pub const HEARTBEAT_NS: u64 = 1_000_000_000;

/// COM_BINLOG_DUMP_GTID flag: the GTID set at the end of the command says where to start.
const BINLOG_THROUGH_GTID: u16 = 0x04;
/// The position of the first event in a binlog file (after the 4-byte magic number).
const FIRST_EVENT_POS: u32 = 4;
/// MariaDB `@mariadb_slave_capability`: GTID events and GTID start positions.
const MARIA_SLAVE_CAPABILITY_GTID: u8 = 4;
/// The top byte of every follower's server id: 0x51 ("Q"), far from the small ids servers get.
const SERVER_ID_PREFIX: u32 = 0x5100_0000;

/// The statement that prepares a follower's connection.
///
/// Both flavors: the checksum the server writes is announced back (events then carry a CRC32
/// trailer, which the follower skips), under the old and the new variable name, and heartbeats
/// are asked for so a silent connection can be told from an idle server. MariaDB also needs the
/// GTID capability and the start position: the replica's own binlog position, read by the
/// server itself so nothing can slip in between.
pub fn setup_statement(flavor: Flavor) -> String {
    match flavor {
        Flavor::MySql => format!(
            "SET @source_binlog_checksum = @@global.binlog_checksum, \
             @master_binlog_checksum = @@global.binlog_checksum, \
             @source_heartbeat_period = {HEARTBEAT_NS}, \
             @master_heartbeat_period = {HEARTBEAT_NS}"
        ),
        Flavor::MariaDb => format!(
            "SET @mariadb_slave_capability = {MARIA_SLAVE_CAPABILITY_GTID}, \
             @master_binlog_checksum = @@global.binlog_checksum, \
             @slave_connect_state = @@global.gtid_binlog_pos, \
             @slave_gtid_strict_mode = 0, \
             @master_heartbeat_period = {HEARTBEAT_NS}"
        ),
    }
}

/// The statement that asks whether the replica logs what it applies (first value, `1` if so)
/// and, on MySQL, its executed set (second value: the start of `COM_BINLOG_DUMP_GTID`).
pub fn start_query(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::MySql => "SELECT @@global.log_replica_updates, @@global.gtid_executed",
        Flavor::MariaDb => "SELECT @@global.log_slave_updates",
    }
}

/// MariaDB `COM_BINLOG_DUMP` payload: position 4 of no file (the start is `@slave_connect_state`).
pub fn mariadb_dump(server_id: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(11);
    p.push(com::BINLOG_DUMP);
    p.extend_from_slice(&FIRST_EVENT_POS.to_le_bytes());
    p.extend_from_slice(&0u16.to_le_bytes());
    p.extend_from_slice(&server_id.to_le_bytes());
    p
}

/// MySQL `COM_BINLOG_DUMP_GTID` payload: no file name, position 4, and `executed` so that only
/// transactions the replica applies from now on are sent.
pub fn mysql_dump_gtid(server_id: u32, executed: &MySqlGtidSet) -> Result<Vec<u8>, BinlogError> {
    let data = encode_gtid_set(executed)?;
    let data_len =
        u32::try_from(data.len()).map_err(|_| BinlogError::Malformed("GTID set too large"))?;
    let mut p = Vec::with_capacity(1 + 2 + 4 + 4 + 8 + 4 + data.len());
    p.push(com::BINLOG_DUMP_GTID);
    p.extend_from_slice(&BINLOG_THROUGH_GTID.to_le_bytes());
    p.extend_from_slice(&server_id.to_le_bytes());
    p.extend_from_slice(&0u32.to_le_bytes()); // file name length: none
    p.extend_from_slice(&u64::from(FIRST_EVENT_POS).to_le_bytes());
    p.extend_from_slice(&data_len.to_le_bytes());
    p.extend_from_slice(&data);
    Ok(p)
}

/// A GTID set in the binary form MySQL's replication protocol uses: the number of source ids
/// (8 bytes), then per source id its UUID (16), the number of intervals (8) and each interval as
/// start and end (exclusive), 8 bytes each. Tagged GTIDs have another form: refused.
pub fn encode_gtid_set(set: &MySqlGtidSet) -> Result<Vec<u8>, BinlogError> {
    let mut out = Vec::new();
    let mut sids = 0u64;
    out.extend_from_slice(&0u64.to_le_bytes());
    for (sid, intervals) in set.iter() {
        if sid.tag.is_some() {
            return Err(BinlogError::TaggedSet);
        }
        sids += 1;
        out.extend_from_slice(&sid.uuid.0);
        out.extend_from_slice(&(intervals.len() as u64).to_le_bytes());
        for iv in intervals {
            out.extend_from_slice(&iv.start.to_le_bytes());
            out.extend_from_slice(&iv.end.saturating_add(1).to_le_bytes());
        }
    }
    out[..8].copy_from_slice(&sids.to_le_bytes());
    Ok(out)
}

/// Monitors started in this process so far (tests run several).
static INSTANCES: AtomicU32 = AtomicU32::new(0);

/// A base for this monitor's follower server ids: distinct per process and per monitor in it,
/// so that two sluice processes following one replica do not make the server drop each other's
/// dump thread (servers keep one dump per replica server id).
pub fn server_id_base() -> u32 {
    let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
    let mixed = std::process::id()
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add(instance.wrapping_mul(0x85eb_ca6b));
    SERVER_ID_PREFIX | ((mixed >> 8) & 0xffff) << 8
}

/// The server id of the follower of backend `index` (indexes above 255 wrap).
pub fn server_id(base: u32, index: usize) -> u32 {
    (base & !0xff) | (index as u32 & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0818b27a-e5da-11f1-a9c5-02fc00000001";

    #[test]
    fn gtid_set_binary_form() {
        let set = MySqlGtidSet::parse(&format!(
            "{UUID}:1-5:7, 3e11fa47-71ca-11e1-9e33-c80aa9429562:9"
        ))
        .expect("set");
        let b = encode_gtid_set(&set).expect("untagged");
        assert_eq!(b.len(), 8 + (16 + 8 + 2 * 16) + (16 + 8 + 16));
        assert_eq!(&b[..8], &2u64.to_le_bytes());
        assert_eq!(
            &b[8..24],
            &[0x08, 0x18, 0xb2, 0x7a, 0xe5, 0xda, 0x11, 0xf1, 0xa9, 0xc5, 0x02, 0xfc, 0, 0, 0, 1]
        );
        assert_eq!(&b[24..32], &2u64.to_le_bytes());
        // 1-5 is [1, 6); 7 is [7, 8).
        assert_eq!(&b[32..40], &1u64.to_le_bytes());
        assert_eq!(&b[40..48], &6u64.to_le_bytes());
        assert_eq!(&b[48..56], &7u64.to_le_bytes());
        assert_eq!(&b[56..64], &8u64.to_le_bytes());
        assert_eq!(
            encode_gtid_set(&MySqlGtidSet::new()).expect("empty"),
            [0; 8]
        );
        let tagged = MySqlGtidSet::parse(&format!("{UUID}:1-5:tag_a:1")).expect("tagged set");
        assert!(matches!(
            encode_gtid_set(&tagged),
            Err(BinlogError::TaggedSet)
        ));
    }

    #[test]
    fn dump_commands() {
        let set = MySqlGtidSet::parse(&format!("{UUID}:1-3")).expect("set");
        let p = mysql_dump_gtid(0x5100_1203, &set).expect("command");
        assert_eq!(p[0], 0x1e);
        assert_eq!(&p[1..3], &[4, 0], "BINLOG_THROUGH_GTID");
        assert_eq!(&p[3..7], &0x5100_1203u32.to_le_bytes());
        assert_eq!(&p[7..11], &[0; 4], "no file name");
        assert_eq!(&p[11..19], &4u64.to_le_bytes());
        assert_eq!(&p[19..23], &(8u32 + 16 + 8 + 16).to_le_bytes());
        assert_eq!(p.len(), 23 + 48);

        let p = mariadb_dump(0x5100_1202);
        assert_eq!(p, [0x12, 4, 0, 0, 0, 0, 0, 0x02, 0x12, 0x00, 0x51]);
    }

    #[test]
    fn setup_names_both_checksum_variables_and_the_start() {
        let my = setup_statement(Flavor::MySql);
        assert!(my.contains("@source_binlog_checksum = @@global.binlog_checksum"));
        assert!(my.contains("@master_binlog_checksum = @@global.binlog_checksum"));
        assert!(my.contains("@master_heartbeat_period = 1000000000"));
        let maria = setup_statement(Flavor::MariaDb);
        assert!(maria.contains("@mariadb_slave_capability = 4"));
        assert!(maria.contains("@slave_connect_state = @@global.gtid_binlog_pos"));
        assert!(maria.contains("@slave_gtid_strict_mode = 0"));
        assert!(start_query(Flavor::MySql).ends_with("@@global.gtid_executed"));
        assert!(start_query(Flavor::MariaDb).contains("log_slave_updates"));
    }

    #[test]
    fn server_ids_are_distinct_per_monitor_and_link_and_far_from_servers() {
        let a = server_id_base();
        let b = server_id_base();
        assert_ne!(a, b, "two monitors in one process");
        for base in [a, b] {
            assert_eq!(base >> 24, 0x51);
            assert_eq!(base & 0xff, 0);
            assert_ne!(server_id(base, 1), server_id(base, 2));
            assert_eq!(server_id(base, 2) & !0xff, base);
        }
    }
}
