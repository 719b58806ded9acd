pub mod haproxy;
pub mod postgres;
pub mod smtp;
