//! Client commands: what the first byte of a command packet means to sluice, which reply shape
//! the server will send, and whether sluice forwards, answers or refuses it. Classification of
//! the SQL text itself belongs to `classify`, not here.

use super::constants::com;
use super::reply::ReplyKind;

/// How sluice handles a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandAction {
    /// Send to the backend and relay a reply of this shape.
    Forward(ReplyKind),
    /// COM_QUIT: close the session.
    Quit,
    /// COM_CHANGE_USER: sluice authenticates the new user itself.
    ChangeUser,
    /// Commands a proxy must not pass on (replication, shutdown, obsolete ones): ERR 1047.
    Refuse,
}

/// Decides what to do with a command packet whose payload starts with `command`.
pub fn action(command: u8) -> CommandAction {
    use CommandAction::*;
    match command {
        com::QUERY | com::STMT_EXECUTE => Forward(ReplyKind::ResultSets),
        com::STMT_PREPARE => Forward(ReplyKind::Prepare),
        com::FIELD_LIST => Forward(ReplyKind::FieldList),
        com::STMT_FETCH => Forward(ReplyKind::Rows),
        com::INIT_DB
        | com::PING
        | com::RESET_CONNECTION
        | com::SET_OPTION
        | com::STMT_RESET
        | com::STATISTICS
        | com::PROCESS_KILL
        | com::REFRESH
        | com::DEBUG => Forward(ReplyKind::Single),
        com::STMT_SEND_LONG_DATA | com::STMT_CLOSE => Forward(ReplyKind::None),
        com::QUIT => Quit,
        com::CHANGE_USER => ChangeUser,
        _ => Refuse,
    }
}

/// A short name for logs and counters.
pub fn name(command: u8) -> &'static str {
    match command {
        com::QUERY => "COM_QUERY",
        com::STMT_EXECUTE => "COM_STMT_EXECUTE",
        com::STMT_PREPARE => "COM_STMT_PREPARE",
        com::FIELD_LIST => "COM_FIELD_LIST",
        com::STMT_FETCH => "COM_STMT_FETCH",
        com::INIT_DB => "COM_INIT_DB",
        com::PING => "COM_PING",
        com::RESET_CONNECTION => "COM_RESET_CONNECTION",
        com::SET_OPTION => "COM_SET_OPTION",
        com::STMT_RESET => "COM_STMT_RESET",
        com::STATISTICS => "COM_STATISTICS",
        com::PROCESS_KILL => "COM_PROCESS_KILL",
        com::STMT_SEND_LONG_DATA => "COM_STMT_SEND_LONG_DATA",
        com::STMT_CLOSE => "COM_STMT_CLOSE",
        com::QUIT => "COM_QUIT",
        com::CHANGE_USER => "COM_CHANGE_USER",
        _ => "COM_UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_has_an_action() {
        for b in 0..=255u8 {
            let _ = action(b);
            let _ = name(b);
        }
        assert_eq!(
            action(com::QUERY),
            CommandAction::Forward(ReplyKind::ResultSets)
        );
        assert_eq!(action(com::BINLOG_DUMP), CommandAction::Refuse);
        assert_eq!(action(com::SHUTDOWN), CommandAction::Refuse);
        assert_eq!(
            action(com::STMT_CLOSE),
            CommandAction::Forward(ReplyKind::None)
        );
    }
}
