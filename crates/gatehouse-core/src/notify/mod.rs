//! Notifications (issue 8): the messages gatehouse sends about an account, from the words
//! in them ([`templates`]) to their delivery. The routing rules live in the domain crate
//! (`gatehouse_domain::notify`); this module does the I/O around them.

pub mod templates;
