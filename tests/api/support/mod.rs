pub mod mock_idp;
pub mod postgres;
pub mod smtp;
