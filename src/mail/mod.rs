//! Mail: parsing and repairing what arrives, the gateway's decisions
//! (automatic mail, threading, routing), our Message-IDs and bounce
//! addresses, and the IMAP and SMTP ends.

pub mod base64;
pub mod boundary;
pub mod classify;
pub mod header;
pub mod html;
pub mod imap;
pub mod limits;
pub mod lmtp;
pub mod mbox;
pub mod message_id;
pub mod outbound;
pub mod parse;
pub mod repair;
pub mod rfc2231;
pub mod route;
pub mod smtp;
pub mod threading;
pub mod verp;
