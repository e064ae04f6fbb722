//! Real consumers (boto3, botocore, AWS CLI v1 and v2) reading sso-helper's output and sharing its token cache.
